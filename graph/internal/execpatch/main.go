// Command execpatch rewrites the calls in gqlgen's generated executor to the
// graph package's cheaper equivalents (see graph/exec.go for why). It runs
// from go generate right after gqlgen, on the file named by its argument,
// and fails if gqlgen stops generating any of them, rather than silently
// losing the saving.
package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
)

var patches = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	{"graphql.NewDeferredGroup(ctx)", "newDeferredGroup(ctx, fields)"},
	{"graphql.BatchParentsFor[", "batchParentsFor["},
	{"graphql.ResolveField(", "resolveField("},
	{"ec.Resolvers.Member()", "memberResolverOf(ec.Resolvers)"},
	{"ec.Resolvers.Post()", "postResolverOf(ec.Resolvers)"},
	{"ctx = graphql.WithBatchParents(ctx, ", "ctx = withBatchParents(ctx, sel, "},
	{"graphql.CollectFields(ec.OperationContext, sel, ", "ec.fields.collect(ec.OperationContext, sel, "},
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "resolveConcurrently(ctx, out, field, ec.OperationContext, &deferred, i,"},
	{"return ec._Metrics(ctx, sel, ", "return ec.marshalMetrics(ctx, sel, "},
	{"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn objectJSON(out, fields, len(deferred.Defers))\n}"},
}

// regexpPatches are rewrites that move a name: each fieldContext_* decodes
// its arguments through the operation's memo (graph/argsmemo.go), which
// needs a field of executionContext to live in.
var regexpPatches = []struct {
	from     *regexp.Regexp
	to, done string // done: what the rewrite leaves (a second run finds no match)
}{
	{regexp.MustCompile(`ec\.(field_\w+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\)`), "ec.args.of(ctx, field.Field, ec.Variables, ec.$1)", "ec.args.of("},
	// Each list of edges hands its nodes to the relations under edges[i].node
	// (graph.withEdgeParents): one function per edge type, so a new one fails
	// to compile instead of losing the batch.
	{regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) marshalN(\w+)Edge2ᚕ[^(]*\(ctx context\.Context, sel ast\.SelectionSet, v \[\]\*model\.\w+Edge\) graphql\.Marshaler \{\n)(\tret := marshalSlice\()`),
		"${1}\tctx = with${2}EdgeParents(ctx, sel, v)\n${3}", "EdgeParents(ctx, sel, v)\n"},
	{regexp.MustCompile(`(?m)^type executionContext struct \{\n\t\*graphql\.ExecutionContextState\[ResolverRoot, DirectiveRoot, ComplexityRoot\]\n\}`),
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\targs   fieldArgs\n\tfields collectedFields\n}", "\targs   fieldArgs\n"},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: execpatch generated.go")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "execpatch:", err)
		os.Exit(1)
	}
	// graph.resolveField does not run field middleware: a field with a
	// directive needs gqlgen's own ResolveField.
	if bytes.Contains(b, []byte("next graphql.Resolver) graphql.Resolver")) {
		fmt.Fprintln(os.Stderr, "execpatch: a field has a directive (field middleware); graph.resolveField cannot serve it: patch only the other fields")
		os.Exit(1)
	}
	for _, p := range patches {
		from, to := []byte(p.from), []byte(p.to)
		if !bytes.Contains(b, from) && !bytes.Contains(b, to) {
			fmt.Fprintf(os.Stderr, "execpatch: %q not found in %s\n", p.from, os.Args[1])
			os.Exit(1)
		}
		b = bytes.ReplaceAll(b, from, to)
	}
	for _, p := range regexpPatches {
		if !p.from.Match(b) && !bytes.Contains(b, []byte(p.done)) {
			fmt.Fprintf(os.Stderr, "execpatch: %s not found in %s\n", p.from, os.Args[1])
			os.Exit(1)
		}
		b = p.from.ReplaceAll(b, []byte(p.to))
	}
	if err := os.WriteFile(os.Args[1], b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "execpatch:", err)
		os.Exit(1)
	}
}
