package graph

import (
	"context"
	"reflect"
	"strings"
	"unicode"

	"github.com/99designs/gqlgen/graphql"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/loaders"
)

// recordTypes maps the GraphQL types read straight off an upstream record to
// the contract's record types.
var recordTypes = map[string]string{"Post": "post", "Member": "member", "Metrics": "metrics", "Handles": "handles", "Project": "project", "Group": "group"}

// driftErrors turns a null that is contract drift (the upstream no longer
// sends the field the contract names, as the client's latest sample saw)
// into an error at its path, so that a client can tell "no value" from "not
// sent any more". It costs a nil test per field until drift is seen.
func driftErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || !isNull(res) {
		return res, err
	}
	l := loaders.For(ctx)
	if l == nil || l.Tenant() == nil || !l.Tenant().Drifting() {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	rec, ok := recordTypes[fc.Object]
	if !ok {
		return res, err
	}
	field := snake(fc.Field.Name)
	if !l.Tenant().Missing(rec, field) {
		return res, err
	}
	return nil, &aspire.Error{Code: aspire.CodeUnavailable,
		Message: "the Aspire API no longer sends " + rec + "." + field + " where the contract says (contract drift: see aspire_contract_drift_total and run doctor)"}
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// snake spells a GraphQL field name as the contract does: viewTimeSeconds →
// view_time_seconds.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
