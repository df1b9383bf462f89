package export_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/export"
	"github.com/aspire-graphql/aspire-graphql/graph"
)

// TestErrorLineSpeaksGraphQLsCodes (issue #23 point 7): the closing error
// line of an NDJSON export carries the code GraphQL's extensions.code shows
// for the same failure (it carried the client's lower-case codes).
func TestErrorLineSpeaksGraphQLsCodes(t *testing.T) {
	for _, c := range []aspire.Code{aspire.CodeUnauthenticated, aspire.CodeForbidden, aspire.CodeNotFound, aspire.CodeInvalid,
		aspire.CodeRateLimited, aspire.CodeUnavailable, aspire.CodeDeadline, aspire.CodeContract, aspire.CodeBudgetExceeded} {
		err := &aspire.Error{Code: c, Message: "m"}
		var line struct{ Error struct{ Code string } }
		if e := json.Unmarshal(export.ErrorLine(err), &line); e != nil {
			t.Fatal(e)
		}
		want := graph.ErrorPresenter(context.Background(), err).Extensions["code"]
		if line.Error.Code != want {
			t.Errorf("aspire %q: the NDJSON line says %q, GraphQL %q", c, line.Error.Code, want)
		}
	}
}
