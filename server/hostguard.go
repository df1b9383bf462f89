package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/config"
	"github.com/aspire-graphql/aspire-graphql/graph"
)

// hostGuard protects server-key mode without access tokens (loopback
// only; config.HostGuarded), where anyone who can reach the port reads the
// workspace with the server's key. Reaching it from a web page takes one of
// two things, both refused before any upstream call:
//
//   - DNS rebinding: the page's own name resolves to 127.0.0.1, so the
//     browser sends Host: evil.example. Only the loopback address and port
//     the request came in on (127.0.0.1:PORT, [::1]:PORT, localhost:PORT)
//     and the allowed-hosts names are served; any other Host gets 421.
//   - a cross-site request (a form, a link to an export, fetch in no-cors
//     mode): Sec-Fetch-Site: cross-site, or an Origin that is neither this
//     server's own nor one listed in cors-origins ("*" lists none), gets
//     403. Requests without these headers are not from a browser page.
type hostGuard struct {
	names   map[string]bool // lower-case host or host:port
	origins map[string]bool // explicit cors-origins
}

func newHostGuard(c *config.Config) *hostGuard {
	if !c.HostGuarded() {
		return nil
	}
	g := &hostGuard{names: map[string]bool{}, origins: map[string]bool{}}
	for _, h := range c.AllowedHosts {
		g.names[strings.ToLower(h)] = true
	}
	for _, o := range c.CORSOrigins {
		if o != "*" {
			g.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
		}
	}
	return g
}

// allow answers a refused request and reports whether it may go on.
func (g *hostGuard) allow(w http.ResponseWriter, r *http.Request) bool {
	if g == nil {
		return true
	}
	host := strings.ToLower(r.Host)
	if !g.ownHost(r, host) {
		writeGraphQLError(w, r, http.StatusMisdirectedRequest, graph.CodeForbidden,
			"this server (server-key mode on loopback without access-tokens) answers only to its loopback address and port "+
				"and the names in allowed-hosts; add the name you reach it under to allowed-hosts")
		return false
	}
	origin := r.Header.Get("Origin")
	crossSite := r.Header.Get("Sec-Fetch-Site") == "cross-site"
	if origin == "" && !crossSite {
		return true
	}
	if origin != "" && g.origins[strings.ToLower(strings.TrimRight(origin, "/"))] {
		return true // the operator listed it in cors-origins
	}
	if !crossSite && origin != "" && sameOrigin(origin, host) {
		return true
	}
	writeGraphQLError(w, r, http.StatusForbidden, graph.CodeForbidden,
		"cross-site requests are refused: this server (server-key mode on loopback without access-tokens) serves pages "+
			"of its own origin only; list a web app's origin in cors-origins to let it call")
	return false
}

// ownHost reports whether host (lower case) names this server: an allowed
// name, or a loopback address or localhost with the port of the connection.
func (g *hostGuard) ownHost(r *http.Request, host string) bool {
	if host == "" {
		return false
	}
	if g.names[host] {
		return true
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80" // no port: HTTP's default
	}
	if g.names[name] {
		return true
	}
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if la == nil {
		return false
	}
	_, localPort, err := net.SplitHostPort(la.String())
	if err != nil || port != localPort {
		return false
	}
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether origin is http(s)://host.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
