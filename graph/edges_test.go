package graph_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestEdgesBatchAsNodes runs each query in both connection shapes,
// `nodes { … }` and `edges { node { … } }`, each on a fresh server, and
// asserts the same upstream requests and the same data. The queries are the
// README's three, the recipes of docs/clients.md (codegen, Apollo and the
// query Relay sends), and the selection shapes that could escape a batch:
// relations at every level, fragments, aliases, inline fragments on a
// connection, __typename beside a relation, the same relation under two
// aliases, two aliased nodes with other arguments.
//
// Before edges were batched (graph/exec.go, withEdgeParents), 100 posts with
// their member cost 2 requests through nodes and 78 through edges (one per
// distinct member, each alone).
func TestEdgesBatchAsNodes(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	clients, err := os.ReadFile("../docs/clients.md")
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name  string
		query string
		vars  string
		want  int // upstream requests of either shape; 0: only that both agree
	}
	var cases []tc
	for _, m := range regexp.MustCompile("(?s)```graphql\n(query (\\w+).*?)\n```\nwith the variables\n<!-- variables: \\w+ -->\n```json\n(.*?)\n```").FindAllSubmatch(readme, -1) {
		cases = append(cases, tc{name: "README " + string(m[2]), query: string(m[1]), vars: string(m[3]),
			want: map[string]int{"TopPosts": 2, "Creators": 1, "Campaigns": 3, "CampaignReport": 3}[string(m[2])]})
	}
	if len(cases) != 4 {
		t.Fatalf("%d README queries, want 4", len(cases))
	}
	oct := `{"range": {"start": "2026-10-01", "end": "2026-10-31"}}`
	codegen := regexp.MustCompile("(?s)<!-- recipe: codegen/src/top-posts.graphql -->\n```graphql\n(.*?)\n```").FindSubmatch(clients)
	apollo := regexp.MustCompile("(?s)const POSTS = gql`\n(.*?)`").FindSubmatch(clients)
	if codegen == nil || apollo == nil {
		t.Fatal("docs/clients.md: the codegen or Apollo recipe's query is not where this test looks")
	}
	cases = append(cases,
		tc{name: "clients.md codegen TopPosts", query: string(codegen[1]), vars: oct, want: 2},
		tc{name: "clients.md Apollo Posts", query: string(apollo[1]), vars: oct, want: 2},
		// What Relay sends for the recipe's PostListPageQuery (relay-compiler
		// 21 keeps the fragments and adds __typename, cursor and pageInfo).
		tc{name: "clients.md Relay PostListPageQuery", vars: oct, want: 3, query: `query PostListPageQuery($range: DateRangeInput!) {
  ...PostList_query_2HEEH6
  ...MemberList_query_2HEEH6
}
fragment MemberList_query_2HEEH6 on Query {
  members(range: $range, first: 20) {
    edges { node { id name performance(range: $range) { postCount metrics { engagements } } __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
}
fragment PostList_query_2HEEH6 on Query {
  posts(range: $range, first: 20) {
    totalCount
    edges { node { id caption postedAt network member { id name } __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
}`},
	)
	q := `{"r": {"start": "2026-01-01", "end": "2026-03-31"}, "p": {"start": "2025-01-01", "end": "2025-12-31"}}`
	cases = append(cases, []tc{
		{name: "100 posts with their member", vars: q, want: 2,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { id name } } } }`},
		{name: "W3: posts, member, projects, groups, roll-up", vars: q, want: 5,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { name projects { name } groups { name } performance(range: $r) { postCount } } } } }`},
		{name: "posts with projects and groups", vars: q, want: 4,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 100) { nodes { id member { name } projects { id name } groups { id name } } } }`},
		{name: "members, posts, member: a relation under a relation", vars: q,
			query: `query($r: DateRangeInput!) { members(range: $r, first: 30) { nodes { id posts(range: $r, first: 3) { nodes { id member { name projects { name } } } } } } }`},
		{name: "projects, members, groups", vars: q,
			query: `query($r: DateRangeInput!) { projects(first: 4) { nodes { id members(range: $r, first: 5) { nodes { id groups { name } } } } } }`},
		{name: "groups, posts, member, other roll-up", vars: q,
			query: `query($r: DateRangeInput!, $p: DateRangeInput!) { groups(first: 3) { nodes { id posts(range: $r, first: 4) { nodes { id member { name performance(range: $p) { postCount } } } } } } }`},
		{name: "fragments", vars: q, want: 3,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 50) { ...C } } fragment C on PostConnection { nodes { ...P } } fragment P on Post { id member { ...M } } fragment M on Member { name projects { name } }`},
		{name: "inline fragment on the connection", vars: q, want: 3,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 50) { ... on PostConnection { nodes { ... on Post { id member { name } groups { name } } } } } }`},
		{name: "__typename beside the relation", vars: q, want: 2,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 50) { __typename nodes { __typename id member { __typename name } } } }`},
		{name: "the same relation under two aliases", vars: q, want: 2,
			query: `query($r: DateRangeInput!) { posts(range: $r, first: 50) { nodes { id a: member { name } b: member { id email } } } }`},
		{name: "aliased lists with other arguments", vars: q,
			query: `query($r: DateRangeInput!, $p: DateRangeInput!) { posts(range: $r, first: 20) { x: nodes { id member { performance(range: $r) { postCount } } } y: nodes { member { performance(range: $p) { postCount } } } } }`},
	}...)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var vars map[string]any
			if err := json.Unmarshal([]byte(c.vars), &vars); err != nil {
				t.Fatal(err)
			}
			shapes := map[string]string{"nodes": reshape(t, c.query, false), "edges": reshape(t, c.query, true)}
			count := map[string]int{}
			data := map[string]any{}
			for shape, query := range shapes {
				e := newEnv(t)
				r := e.do(t, query, vars)
				if len(r.Errors) > 0 {
					t.Fatalf("%s: errors %+v\n%s", shape, r.Errors, query)
				}
				count[shape] = e.sim.Count("")
				var d any
				if err := json.Unmarshal(r.Data, &d); err != nil {
					t.Fatal(err)
				}
				data[shape] = asNodes(d)
			}
			if count["edges"] != count["nodes"] || (c.want != 0 && count["nodes"] != c.want) {
				t.Errorf("upstream requests: %d through nodes, %d through edges, want %d both", count["nodes"], count["edges"], max(c.want, count["nodes"]))
			}
			if !reflect.DeepEqual(data["nodes"], data["edges"]) {
				t.Errorf("the two shapes answer differently:\nnodes %.600v\nedges %.600v", data["nodes"], data["edges"])
			}
		})
	}
}

// TestEdgeNodeAliases: one edge's node under two aliases, selecting the same
// response key with other arguments, shares the edges' batch but not its
// result: each alias gets its own roll-up, in one batch per alias, as two
// aliased nodes lists do.
func TestEdgeNodeAliases(t *testing.T) {
	t.Parallel()
	vars := map[string]any{"r": q1, "p": map[string]any{"start": "2025-01-01", "end": "2025-12-31"}}
	type perf struct {
		Member struct{ Performance struct{ PostCount int } }
	}
	var viaNodes struct{ Posts struct{ X, Y []perf } }
	e := newEnv(t)
	e.ok(t, `query($r: DateRangeInput!, $p: DateRangeInput!) { posts(range: $r, first: 20) {
		x: nodes { member { performance(range: $r) { postCount } } } y: nodes { member { performance(range: $p) { postCount } } } } }`, vars, &viaNodes)
	nodesCount := e.sim.Count("")
	var viaEdges struct {
		Posts struct {
			Edges []struct{ A, B perf }
		}
	}
	e = newEnv(t)
	e.ok(t, `query($r: DateRangeInput!, $p: DateRangeInput!) { posts(range: $r, first: 20) {
		edges { a: node { member { performance(range: $r) { postCount } } } b: node { member { performance(range: $p) { postCount } } } } } }`, vars, &viaEdges)
	if got, want := e.sim.Count(""), nodesCount; got != want || want != 4 {
		t.Errorf("upstream requests: %d through edges, %d through nodes, want 4 (posts, members, a roll-up batch per range): %v", got, want, e.sim.Counts())
	}
	differ := 0
	for i, ed := range viaEdges.Posts.Edges {
		if ed.A != viaNodes.Posts.X[i] || ed.B != viaNodes.Posts.Y[i] {
			t.Fatalf("edge %d: %+v, nodes say %+v and %+v", i, ed, viaNodes.Posts.X[i], viaNodes.Posts.Y[i])
		}
		if ed.A != ed.B {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the two ranges' roll-ups never differ: the test cannot tell them apart")
	}
}

// reshape writes query with every connection list in one shape: `edges {
// node { S } }` (edges) or `nodes { S }` (the edge's cursor and __typename
// dropped), aliases kept.
func reshape(t *testing.T, query string, edges bool) string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	var walk func(ast.SelectionSet) ast.SelectionSet
	walk = func(sel ast.SelectionSet) ast.SelectionSet {
		for i, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				s.SelectionSet = walk(s.SelectionSet)
				switch {
				case edges && s.Name == "nodes":
					node := &ast.Field{Alias: "node", Name: "node", SelectionSet: s.SelectionSet}
					sel[i] = &ast.Field{Alias: rename(s, "edges"), Name: "edges", SelectionSet: ast.SelectionSet{node}}
				case !edges && s.Name == "edges":
					var inner ast.SelectionSet
					for _, es := range s.SelectionSet {
						if f, ok := es.(*ast.Field); ok && f.Name == "node" {
							inner = append(inner, f.SelectionSet...)
						}
					}
					sel[i] = &ast.Field{Alias: rename(s, "nodes"), Name: "nodes", SelectionSet: inner}
				}
			case *ast.InlineFragment:
				s.SelectionSet = walk(s.SelectionSet)
			}
		}
		return sel
	}
	for _, op := range doc.Operations {
		op.SelectionSet = walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		f.SelectionSet = walk(f.SelectionSet)
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String()
}

func rename(f *ast.Field, to string) string {
	if f.Alias == f.Name {
		return to
	}
	return f.Alias
}

// asNodes rewrites an answer's edges as nodes: a list of {node[, cursor]}
// objects becomes the list of nodes, under "nodes" where it was "edges".
func asNodes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			x = asNodes(x)
			if k == "edges" {
				k = "nodes"
			}
			out[k] = x
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			if m, ok := x.(map[string]any); ok {
				if n, ok := m["node"]; ok {
					x = n
				}
			}
			out[i] = asNodes(x)
		}
		return out
	}
	return v
}
