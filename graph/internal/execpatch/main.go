// Command execpatch rewrites the calls in gqlgen's generated executor to
// cheaper equivalents: gqlgen's runtime calls to graph/internal/gqlexec's
// stand-ins (see its package comment for why), and a few to graph's own
// (graph/runtime.go: those needing the generated types). It runs from go
// generate right after gqlgen, on the file named by its argument, inserts
// gqlexec's import and formats the file, and fails if gqlgen stops
// generating any of them, rather than silently losing the saving. Every
// rewrite is idempotent: run on its own output it changes nothing.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
)

var patches = []struct{ from, to string }{
	{"graphql.MarshalSliceConcurrently(", "gqlexec.MarshalSlice("},
	{"graphql.NewDeferredGroup(ctx)", "gqlexec.NewDeferredGroup(ctx, fields)"},
	{"graphql.BatchParentsFor[", "gqlexec.BatchParentsFor["},
	{"graphql.ResolveField(", "gqlexec.ResolveField("},
	{"ec.Resolvers.Member()", "memberResolverOf(ec.Resolvers)"},
	{"ec.Resolvers.Post()", "postResolverOf(ec.Resolvers)"},
	{"ctx = graphql.WithBatchParents(ctx, ", "ctx = gqlexec.WithBatchParents(ctx, sel, "},
	{"graphql.CollectFields(ec.OperationContext, sel, ", "ec.fields.Collect(ec.OperationContext, sel, "},
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "gqlexec.ResolveConcurrently(ctx, out, field, ec.OperationContext, &deferred, i,"},
	{"return ec._Metrics(ctx, sel, ", "return ec.marshalMetrics(ctx, sel, "},
	{"\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "\t\tec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn gqlexec.ObjectJSON(out, fields, len(deferred.Defers))\n}"},
}

// regexpPatches are rewrites that move a name: each fieldContext_* decodes
// its arguments through the operation's memo (gqlexec.FieldArgs), which
// needs a field of executionContext to live in.
var regexpPatches = []struct {
	from     *regexp.Regexp
	to, done string // done: what the rewrite leaves (a second run finds no match)
}{
	{regexp.MustCompile(`ec\.(field_\w+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\)`), "ec.args.Of(ctx, field.Field, ec.Variables, ec.$1)", "ec.args.Of("},
	// Each list of edges hands its nodes to the relations under edges[i].node
	// (gqlexec.WithEdgeParents): one function per edge type, so a new one fails
	// to compile instead of losing the batch.
	{regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) marshalN(\w+)Edge2ᚕ[^(]*\(ctx context\.Context, sel ast\.SelectionSet, v \[\]\*model\.\w+Edge\) graphql\.Marshaler \{\n)(\tret := gqlexec\.MarshalSlice\()`),
		"${1}\tctx = with${2}EdgeParents(ctx, sel, v)\n${3}", "EdgeParents(ctx, sel, v)\n"},
	{regexp.MustCompile(`(?m)^type executionContext struct \{\n\t\*graphql\.ExecutionContextState\[ResolverRoot, DirectiveRoot, ComplexityRoot\]\n\}`),
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\targs   gqlexec.FieldArgs\n\tfields gqlexec.CollectedFields\n}", "\targs   gqlexec.FieldArgs\n"},
	// The stand-ins' import, once, in the group of gqlgen's: go/format below
	// puts it in order.
	{regexp.MustCompile(`(?m)^\t"github.com/99designs/gqlgen/graphql"\n`), "${0}\t" + gqlexecImport + "\n", gqlexecImport},
}

const gqlexecImport = `"github.com/aspire-graphql/aspire-graphql/graph/internal/gqlexec"`

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
	// gqlexec.ResolveField does not run field middleware: a field with a
	// directive needs gqlgen's own ResolveField.
	if bytes.Contains(b, []byte("next graphql.Resolver) graphql.Resolver")) {
		fmt.Fprintln(os.Stderr, "execpatch: a field has a directive (field middleware); gqlexec.ResolveField cannot serve it: patch only the other fields")
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
		done := bytes.Contains(b, []byte(p.done))
		if !p.from.Match(b) && !done {
			fmt.Fprintf(os.Stderr, "execpatch: %s not found in %s\n", p.from, os.Args[1])
			os.Exit(1)
		}
		if p.done == gqlexecImport && done {
			continue // the import block matches again: insert once
		}
		b = p.from.ReplaceAll(b, []byte(p.to))
	}
	b, err = format.Source(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, "execpatch: the patched file does not parse:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "execpatch:", err)
		os.Exit(1)
	}
}
