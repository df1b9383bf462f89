package aspire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// answer is a RoundTripper that answers every request with the same
// status, headers and body.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(a.body))}, nil
}

// FuzzResponseDecoding feeds the client arbitrary upstream answers: every
// call ends in a page or an *Error, never a panic, and no message holds the
// key.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, "", `{"data":[{"id":"1","metrics":{"tmv":1.5}}],"pagination":{"offset":0,"limit":1,"total":1,"has_more":false}}`)
	f.Add(200, "", `{"data":{"id":"1","member_id":"2","posted_at":"2026-01-01T00:00:00Z"}}`)
	f.Add(429, "30", `{"error":{"code":"rate_limited","message":"slow down"}}`)
	f.Add(401, "", `{"error":{"code":"insufficient_scope","message":"key sk_fuzz_key lacks read:social"}}`)
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", `<html>`)
	f.Add(200, "", `{"data":[{"id":1}]}`)
	const key = "sk_fuzz_key"
	f.Fuzz(func(t *testing.T, status int, retryAfter, body string) {
		if status < 100 || status > 999 {
			status = 200
		}
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		c, err := New("http://upstream.invalid", WithTransport(answer{status, h, body}), WithRetry(1, 0, 0),
			WithRateLimit(0, 0), WithCache(0, 0, 0), WithMaxRetryAfter(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		tn := c.As(Creds{APIKey: key, ClientID: "c"})
		ctx := context.Background()
		r := Range{Start: NewDate(2026, 1, 1), End: NewDate(2026, 1, 31)}
		check := func(err error) {
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if strings.Contains(e.Error(), key) || strings.Contains(e.Detail, key) {
				t.Fatalf("the key in %q / %q", e.Error(), e.Detail)
			}
		}
		_, err = tn.Posts(ctx, PostQuery{Filter: Filter{Range: r}})
		check(err)
		_, err = tn.Post(ctx, "1")
		check(err)
		_, err = tn.MembersByID(ctx, []string{"1", "2"}, MemberQuery{})
		check(err)
		_, err = tn.AllGroups(ctx)
		check(err)
	})
}
