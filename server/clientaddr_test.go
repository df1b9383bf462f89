package server_test

import (
	"fmt"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// TestTrustedProxiesNameTheClient: behind a reverse proxy every connection
// is the proxy's, so unverified-rate (new keys per client address) counted
// every client as one. With -trusted-proxies the client is the last
// X-Forwarded-For entry that is not a proxy; what the caller wrote left of
// it is never read, and without the setting the header is ignored.
//
// unverified-rate 0.1 is a burst of 1 and a new token every 10 s: the first
// new key of an address costs one upstream call and is refused by Aspire
// (UNAUTHENTICATED); the next, from the same address, is refused here
// (RATE_LIMITED) with no call.
func TestTrustedProxiesNameTheClient(t *testing.T) {
	t.Parallel()
	type step struct {
		xff  string // "" sends none
		want string
	}
	const ok, limited = "UNAUTHENTICATED", "RATE_LIMITED"
	for _, tc := range []struct {
		name  string
		args  []string
		steps []step
	}{
		{"behind a trusted proxy", []string{"-trusted-proxies", "127.0.0.1,10.0.0.0/8"}, []step{
			{"203.0.113.1", ok},
			{"203.0.113.1", limited},
			{"203.0.113.2", ok},                    // another client behind the same proxy
			{"198.51.100.7, 203.0.113.1", limited}, // the caller wrote the first entry, the proxy the last
			{"203.0.113.3, 10.1.2.3", ok},          // two proxies: the first one's caller
			{"203.0.113.3:4711", limited},          // a port is no other client
			{"2001:db8::1", ok},                    // IPv6 counts by /64
			{"2001:db8::2", limited},               //
			{"2001:db8:0:1::1", ok},                // another /64
			{"::ffff:203.0.113.2", limited},        // IPv4 written as IPv6 is the same client
			{"unknown", ok},                        // not an address: the connection's (the proxy's)
			{"", limited},                          // no header: the connection's
			{"203.0.113.4, 10.0.0.1, 127.0.0.1, not-an-address", limited}, // garbage nearest: the connection's
		}},
		{"no trusted proxies: the header is the caller's", nil, []step{
			{"203.0.113.1", ok},
			{"203.0.113.2", limited},
			{"", limited},
		}},
		{"a proxy not trusted", []string{"-trusted-proxies", "10.0.0.0/8"}, []step{
			{"203.0.113.1", ok},
			{"203.0.113.2", limited},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, append([]string{"-unverified-rate", "0.1"}, tc.args...), aspiretest.WithSizes(aspiretest.SmallSizes))
			for i, st := range tc.steps {
				h := map[string]string{"Authorization": fmt.Sprintf("Bearer made-up-key-%d", i), "X-Aspire-Client-Id": aspiretest.DemoClientID}
				if st.xff != "" {
					h["X-Forwarded-For"] = st.xff
				}
				s.sim.Reset()
				r := s.queryAs(t, h, `{ projects { totalCount } }`, nil)
				if r.code() != st.want {
					t.Fatalf("step %d (X-Forwarded-For %q): %d %s, want %s", i, st.xff, r.status, r.body, st.want)
				}
				calls := 0
				if st.want == ok {
					calls = 1
				}
				if got := s.sim.Count("/v1/projects"); got != calls {
					t.Fatalf("step %d: %d upstream calls, want %d", i, got, calls)
				}
			}
		})
	}
}
