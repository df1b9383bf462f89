package aspire_test

import (
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

func TestIDsFromPastedURLs(t *testing.T) {
	for _, tc := range []struct {
		f        func(string) string
		in, want string
	}{
		{aspire.ClientIDFrom, "5a1e0d3m0w0rk5pac3000000000000a1", "5a1e0d3m0w0rk5pac3000000000000a1"},
		{aspire.ClientIDFrom, " https://app.aspireiq.com/client/5a1e0d3m0w0rk5pac3000000000000a1/home ", "5a1e0d3m0w0rk5pac3000000000000a1"},
		{aspire.ClientIDFrom, "app.aspireiq.com/client/abc123/settings/integrations", "abc123"},
		{aspire.ProjectIDFrom, "https://app.aspireiq.com/client/abc/project/10100002/overview", "10100002"},
		{aspire.MemberIDFrom, "https://app.aspireiq.com/client/abc/member/11000007", "11000007"},
		{aspire.GroupIDFrom, "https://app.aspireiq.com/client/abc/member_table?groupIds.is=10200003&x=1", "10200003"},
		{aspire.GroupIDFrom, "10200003", "10200003"},
		{aspire.ProjectIDFrom, "https://example.com/nothing/here", "https://example.com/nothing/here"},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
