package gqlexec

import (
	"bytes"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// ObjectJSON replaces the `return out` of every generated object marshaller
// (go generate rewrites it, graph/internal/execpatch). gqlgen's FieldSet
// writes itself through an iterator and a map of the response keys written
// so far, both allocated per object: for 100 posts with their member and
// metrics, 300 maps. fieldsJSON writes the same bytes (TestObjectJSONIsFieldSet)
// with a scan of the keys before it, which for the dozen fields of an object
// is cheaper than the map. With a deferred field, the field set stays:
// @defer's views take values out of it as they complete.
func ObjectJSON(out *graphql.FieldSet, fields []graphql.CollectedField, deferred int) graphql.Marshaler {
	if deferred > 0 {
		return out
	}
	return &fieldsJSON{fields: fields, values: out.Values}
}

type fieldsJSON struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

var (
	openBrace  = []byte{'{'}
	closeBrace = []byte{'}'}
)

// MarshalGQL is graphql.FieldSet's: `{`, each response key once, in order,
// as `"key":value`, comma-separated, `}`.
func (o *fieldsJSON) MarshalGQL(w io.Writer) {
	_, _ = w.Write(openBrace)
	for i := range o.fields {
		alias := o.fields[i].Alias
		if Seen(o.fields[:i], alias) {
			continue
		}
		var b []byte
		if bb, ok := w.(*bytes.Buffer); ok {
			b = bb.AvailableBuffer()
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, alias...) // a GraphQL name: nothing to escape
		b = append(b, '"', ':')
		_, _ = w.Write(b)
		o.values[i].MarshalGQL(w)
	}
	_, _ = w.Write(closeBrace)
}

// Seen reports whether a field of before has the response key alias (the
// Metrics marshaller in graph shares it).
func Seen(before []graphql.CollectedField, alias string) bool {
	for _, f := range before {
		if f.Alias == alias {
			return true
		}
	}
	return false
}
