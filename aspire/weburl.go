package aspire

import (
	"net/url"
	"strings"
)

// WebURL reports whether s is an absolute http or https URL with a host:
// the only links passed on from the upstream. Creators write their own
// links, so a url may hold a spreadsheet formula, a javascript: URL or a
// relative path that a client would render as a link (issue #23 point 2).
func WebURL(s string) bool {
	if s == "" || len(s) > 8<<10 || strings.ContainsAny(s, " \t\r\n\\") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https" // url.Parse lower-cases it
}

// LinkURL is p.URL when it is a WebURL; otherwise nil and a contract error
// (UPSTREAM_CONTRACT_DRIFT) that does not repeat the value.
func (p *Post) LinkURL() (*string, error) {
	if WebURL(p.URL) {
		return &p.URL, nil
	}
	return nil, notWebURL("url")
}

// LinkThumbnailURL is p.ThumbnailURL when it is a WebURL, nil when there is
// none, and nil with a contract error when it is something else.
func (p *Post) LinkThumbnailURL() (*string, error) {
	if p.ThumbnailURL == "" {
		return nil, nil
	}
	if WebURL(p.ThumbnailURL) {
		return &p.ThumbnailURL, nil
	}
	return nil, notWebURL("thumbnail_url")
}

func notWebURL(field string) error {
	return &Error{Code: CodeContract, final: true,
		Message: "the Aspire API sent a post." + field + " that is not an absolute http(s) URL; it is left out"}
}
