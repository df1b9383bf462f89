package codes_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/codes"
)

// TestREADMEListsEveryCode: the README's error table is the Go table.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), codes.Markdown()) {
		t.Fatalf("README.md's error code table is out of date; paste this:\n%s", codes.Markdown())
	}
}

// TestEveryUpstreamCodeHasOne: each of the Aspire client's codes is shown
// as a code of its own row, and no code is listed twice.
func TestEveryUpstreamCodeHasOne(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range codes.Table {
		if seen[e.Code] || e.Code != strings.ToUpper(e.Code) || e.Status < 200 || e.Meaning == "" {
			t.Errorf("row %+v: repeated, not upper case, or incomplete", e)
		}
		seen[e.Code] = true
	}
	for _, c := range []aspire.Code{aspire.CodeUnauthenticated, aspire.CodeForbidden, aspire.CodeNotFound, aspire.CodeInvalid,
		aspire.CodeRateLimited, aspire.CodeUnavailable, aspire.CodeDeadline, aspire.CodeContract, aspire.CodeBudgetExceeded} {
		got := codes.FromUpstream(c)
		var row *codes.Entry
		for i := range codes.Table {
			if codes.Table[i].Upstream == c {
				row = &codes.Table[i]
			}
		}
		if row == nil || row.Code != got {
			t.Errorf("aspire code %q: shown as %q, but no row names it", c, got)
		}
	}
}
