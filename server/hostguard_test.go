package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspire-graphql/aspire-graphql/aspire/aspiretest"
)

// hostReq sends method target to s with Host host and headers, and returns
// the status and the body.
func hostReq(t *testing.T, s *stack, method, target, host string, headers map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"query":"{ projects { totalCount } }"}`)
	}
	req, _ := http.NewRequest(method, s.url+target, body)
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLoopbackServerKeyChecksHost: server-key mode on loopback without
// access tokens answers only to its own loopback address and port (and the
// allowed-hosts names), and refuses browsers' cross-site requests, before
// any upstream call (issue #23 point 6: DNS rebinding read the workspace).
func TestLoopbackServerKeyChecksHost(t *testing.T) {
	s := newStack(t, []string{"-api-key", aspiretest.DemoKey, "-client-id", aspiretest.DemoClientID,
		"-allowed-hosts", "aspire.internal,Tools.Example:9999", "-cors-origins", "http://localhost:3000"},
		aspiretest.WithSizes(aspiretest.SmallSizes))
	u, _ := url.Parse(s.url)
	port := u.Port()
	const gql = "/graphql?query=%7B%20projects%20%7B%20totalCount%20%7D%20%7D"
	const export = "/export/posts.csv?start=2026-01-01&end=2026-01-31"

	served := []struct {
		name, method, target, host string
		headers                    map[string]string
	}{
		{"own address", http.MethodPost, "/graphql", "", nil},
		{"localhost", http.MethodPost, "/graphql", "localhost:" + port, nil},
		{"IPv6 loopback", http.MethodGet, gql, "[::1]:" + port, nil},
		{"allowed name, any port", http.MethodPost, "/graphql", "aspire.internal:" + port, nil},
		{"allowed name with its port", http.MethodPost, "/graphql", "tools.example:9999", nil},
		{"same origin", http.MethodPost, "/graphql", "", map[string]string{"Origin": "http://127.0.0.1:" + port, "Sec-Fetch-Site": "same-origin"}},
		{"typed in the address bar", http.MethodGet, export, "", map[string]string{"Sec-Fetch-Site": "none"}},
		{"origin in cors-origins", http.MethodPost, "/graphql", "", map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}},
	}
	for _, c := range served {
		s.sim.Reset()
		status, body := hostReq(t, s, c.method, c.target, c.host, c.headers)
		if status != http.StatusOK || strings.Contains(body, `"errors"`) {
			t.Errorf("%s: %d %s, want 200 with data", c.name, status, body)
		}
	}

	refused := []struct {
		name, method, target, host string
		headers                    map[string]string
		status                     int
	}{
		{"rebound name", http.MethodPost, "/graphql", "evil.example", nil, http.StatusMisdirectedRequest},
		{"rebound name with the port", http.MethodGet, gql, "evil.example:" + port, nil, http.StatusMisdirectedRequest},
		{"rebound name, export", http.MethodGet, export, "evil.example:" + port, nil, http.StatusMisdirectedRequest},
		{"rebound name, schema", http.MethodGet, "/schema.graphql", "evil.example:" + port, nil, http.StatusMisdirectedRequest},
		{"loopback, another port", http.MethodPost, "/graphql", "127.0.0.1:1", nil, http.StatusMisdirectedRequest},
		{"allowed name, another port", http.MethodPost, "/graphql", "tools.example:" + port, nil, http.StatusMisdirectedRequest},
		{"cross-site POST", http.MethodPost, "/graphql", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign Origin, no Sec-Fetch-Site", http.MethodGet, gql, "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"Origin null", http.MethodPost, "/graphql", "", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site GET", http.MethodGet, gql, "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site export link", http.MethodGet, export, "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	}
	s.sim.Reset()
	for _, c := range refused {
		status, body := hostReq(t, s, c.method, c.target, c.host, c.headers)
		if status != c.status || !strings.Contains(body, `"FORBIDDEN"`) {
			t.Errorf("%s: %d %s, want %d FORBIDDEN", c.name, status, body, c.status)
		}
		if c.status == http.StatusMisdirectedRequest && !strings.Contains(body, "allowed-hosts") {
			t.Errorf("%s: %s does not say what to do", c.name, body)
		}
	}
	if n := s.sim.Count(""); n != 0 {
		t.Errorf("refused requests made %d upstream calls, want 0", n)
	}
}

// TestHostGuardOnlyInLoopbackServerKeyMode: with access tokens (or in
// passthrough mode) the caller proves itself with a credential a web page
// does not have, and any Host is served (behind proxies of any name).
func TestHostGuardOnlyInLoopbackServerKeyMode(t *testing.T) {
	const token = "0123456789abcdef-token"
	for _, c := range []struct {
		name    string
		args    []string
		headers map[string]string
	}{
		{"server key with tokens", []string{"-api-key", aspiretest.DemoKey, "-client-id", aspiretest.DemoClientID, "-access-tokens", token},
			map[string]string{"Authorization": "Bearer " + token}},
		{"passthrough", nil, demoHeaders},
	} {
		s := newStack(t, c.args, aspiretest.WithSizes(aspiretest.SmallSizes))
		h := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example"}
		for k, v := range c.headers {
			h[k] = v
		}
		if status, body := hostReq(t, s, http.MethodPost, "/graphql", "graphql.example.com", h); status != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", c.name, status, body)
		}
	}
}
