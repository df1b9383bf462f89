// Package scalar marshals the custom GraphQL scalars that gqlgen has no
// built-in for.
package scalar

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// MarshalDate writes a Date as "YYYY-MM-DD".
func MarshalDate(d aspire.Date) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDate reads "YYYY-MM-DD", strictly, between 2000-01-01 and
// 2100-12-31 (aspire.CheckInputDate).
func UnmarshalDate(v any) (aspire.Date, error) {
	s, ok := v.(string)
	if !ok {
		return aspire.Date{}, badInput(fmt.Sprintf("a Date is a string YYYY-MM-DD, got %T", v))
	}
	d, err := aspire.ParseDate(s)
	if err != nil {
		return d, badInput(err.Error())
	}
	if err := aspire.CheckInputDate(d); err != nil {
		return d, badInput(err.Error())
	}
	return d, nil
}

func badInput(msg string) error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
}
