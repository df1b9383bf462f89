package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddress is the address the per-address limits count r under.
//
// Without trusted proxies it is the connection's: X-Forwarded-For is
// whatever the caller wrote. Behind a reverse proxy (deploy/compose puts
// nginx in front; a Kubernetes ingress does the same) every connection is
// the proxy's, and one limit meant for one client was shared by all of
// them: 2 new keys a second for the whole deployment. With -trusted-proxies
// and a connection from one of them, the client is the last
// X-Forwarded-For entry that is not a trusted proxy. Entries left of it
// are the caller's to write and are never read; a trusted proxy that sent
// no header, or an entry that is not an address, leaves the connection's
// address (the safe side: a limit shared, never one escaped).
//
// IPv6 addresses count by their /64: one host is commonly given a whole
// /64 and could otherwise bring a fresh address with each new key.
func clientAddress(r *http.Request, proxies []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if trusted(peer, proxies) {
		if a, ok := forwardedClient(r.Header.Values("X-Forwarded-For"), proxies); ok {
			peer = a
		}
	}
	return addressKey(peer)
}

// forwardedClient walks the X-Forwarded-For entries right to left (each
// proxy appends the address it was called from) past the trusted ones.
func forwardedClient(headers []string, proxies []netip.Prefix) (netip.Addr, bool) {
	for i := len(headers) - 1; i >= 0; i-- {
		list := headers[i]
		for list != "" {
			entry := list
			if c := strings.LastIndexByte(list, ','); c >= 0 {
				entry, list = list[c+1:], list[:c]
			} else {
				list = ""
			}
			a, ok := parseForwarded(strings.TrimSpace(entry))
			if !ok {
				return netip.Addr{}, false
			}
			if !trusted(a, proxies) {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

// parseForwarded reads one entry: an address, or an address and port.
func parseForwarded(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addressKey is a's key in the per-address limits: IPv4 whole, IPv6 by
// its /64.
func addressKey(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
