package aspire_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestBadHeaderClientIDDoesNotOpenTheBreaker: in passthrough any caller
// brings the client id (X-Aspire-Client-Id, URL-decoded by ClientIDFrom, so
// "%0A" becomes a line feed). Under a contract that puts it in a header, a
// value net/http refuses to send must fail that call as invalid, not count
// as an unreachable upstream: five of them would open the circuit breaker
// for every tenant.
func TestBadHeaderClientIDDoesNotOpenTheBreaker(t *testing.T) {
	t.Parallel()
	w := aspiretest.Profiles["header-client-id"]()
	sim, cl := setup(t, []aspiretest.Option{aspiretest.WithWire(w)}, aspire.WithContract(w.Contract))
	bad := aspire.Creds{APIKey: aspiretest.DemoKey, ClientID: aspire.ClientIDFrom("https://x/client/a%0D%0AX-Evil:%201")}
	if bad.ClientID != "a\r\nX-Evil: 1" {
		t.Fatalf("ClientIDFrom gave %q", bad.ClientID)
	}
	for range 3 {
		_, err := cl.As(bad).Groups(context.Background(), aspire.ListQuery{})
		if code(err) != aspire.CodeInvalid || strings.Contains(err.Error(), "Evil") {
			t.Fatalf("a client id with CR LF: %v, want INVALID naming no value", err)
		}
	}
	if n := sim.Count(""); n != 0 {
		t.Fatalf("%d upstream requests for a client id no header can carry", n)
	}
	if _, err := cl.As(demo).Groups(context.Background(), aspire.ListQuery{}); err != nil {
		t.Fatalf("another tenant's call after three bad client ids: %v", err)
	}
}
