// Command listgen rewrites gqlgen's generated executor so that lists of
// objects are marshalled by graph.marshalSlice instead of
// graphql.MarshalSliceConcurrently (see graph/lists.go for why). It runs
// from go generate right after gqlgen, on the file named by its argument.
package main

import (
	"bytes"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: listgen generated.go")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
	from, to := []byte("graphql.MarshalSliceConcurrently("), []byte("marshalSlice(")
	if !bytes.Contains(b, from) && !bytes.Contains(b, to) {
		// gqlgen changed what it generates: fail rather than silently
		// keep a goroutine per element.
		fmt.Fprintln(os.Stderr, "listgen: no list marshaller found in", os.Args[1])
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], bytes.ReplaceAll(b, from, to), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
}
