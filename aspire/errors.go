package aspire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aspire-graphql/aspire-graphql/aspire/internal/wire"
)

// Code classifies an upstream failure. Every status of the contract maps to
// one; callers switch on Code, never on HTTP statuses.
type Code string

// Error codes.
const (
	CodeUnauthenticated Code = "unauthenticated"   // 401: missing, unknown or expired key, or a missing scope
	CodeForbidden       Code = "forbidden"         // 403: the key's workspace is not the client id
	CodeNotFound        Code = "not_found"         // 404
	CodeInvalid         Code = "invalid"           // 400, or a request the client refuses to send
	CodeRateLimited     Code = "rate_limited"      // 429, or the client-side budget would wait past the deadline
	CodeUnavailable     Code = "unavailable"       // 5xx, timeouts, connection errors, undecodable bodies
	CodeDeadline        Code = "deadline_exceeded" // the caller's deadline passed (not the upstream's fault)
	// CodeContract: the upstream broke the paging contract (more rows than
	// the limit asked, an offset page repeating the one before, more rows
	// than the total it announced). Never retried: it would answer the same.
	CodeContract Code = "contract_violation"
)

// Error is the one error type of the client. Message is safe to show to an
// end user: it never holds a key and never quotes an upstream body. Detail
// is for logs only (the upstream's own message, with the caller's key
// scrubbed).
type Error struct {
	Code       Code
	Status     int           // HTTP status of the last attempt; 0 if none came back
	Message    string        // safe for end users
	RetryAfter time.Duration // for CodeRateLimited: how long to wait, if known
	Endpoint   string        // e.g. "/v1/members"
	// UpstreamCode is the upstream's error code (e.g. "insufficient_scope").
	UpstreamCode string
	Detail       string // for logs only
	Err          error  // the cause, if any (context errors, network errors)
	// final: another attempt would get the same answer (a redirect, a body
	// over the limit), so none is made.
	final bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("aspire: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, context.Canceled) works.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of err, or CodeUnavailable for an error that is not
// an *Error (the safe assumption for something we did not classify).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnavailable
}

// MissingScope reports a key that is valid but lacks the scope the call
// needs.
func (e *Error) MissingScope() bool { return e.UpstreamCode == wire.ErrInsufficientScope }

// Expired reports an expired key.
func (e *Error) Expired() bool { return e.UpstreamCode == wire.ErrTokenExpired }

// retryable reports whether another attempt may succeed.
func (e *Error) retryable() bool {
	return !e.final && (e.Code == CodeUnavailable || e.Code == CodeRateLimited)
}

// RedirectMessage says what a 3xx answer means to the operator. No client
// of ours follows a redirect: the key (in a header or the query) would go
// to the other host, and a Referer with it. Only the host is named, never
// the Location whole (it may carry the key back).
func RedirectMessage(resp *http.Response) string {
	host := "another URL"
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		host = loc.Host
	}
	return "the API answered with a redirect to " + host + ": point the upstream URL at it"
}

// IsRedirect says whether status is a redirect.
func IsRedirect(status int) bool { return status >= 300 && status < 400 }

// errorFromResponse maps a non-2xx upstream answer to an *Error. body is the
// (bounded) response body; key is scrubbed out of the detail.
func errorFromResponse(endpoint string, resp *http.Response, body []byte, key string, now time.Time) *Error {
	var eb wire.ErrorBody
	_ = json.Unmarshal(body, &eb) // a non-JSON error body still maps by status
	e := &Error{
		Status:       resp.StatusCode,
		Endpoint:     endpoint,
		UpstreamCode: eb.Error.Code,
		Detail:       scrub(eb.Error.Message, key),
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		e.Code = CodeUnauthenticated
		switch eb.Error.Code {
		case wire.ErrTokenExpired:
			e.Message = "the Aspire API key has expired"
		case wire.ErrInsufficientScope:
			e.Message = "the Aspire API key lacks the scope this data needs"
		default:
			e.Message = "the Aspire API key was not accepted"
		}
	case s == http.StatusForbidden:
		e.Code = CodeForbidden
		e.Message = "the Aspire API key does not belong to this workspace (client id)"
	case s == http.StatusNotFound:
		e.Code = CodeNotFound
		e.Message = "not found"
	case IsRedirect(s):
		e.Code = CodeUnavailable
		e.Message = RedirectMessage(resp)
		e.final = true
	case s == http.StatusTooManyRequests:
		e.Code = CodeRateLimited
		e.Message = "the Aspire API rate limit was reached"
		e.RetryAfter = retryAfter(resp.Header, now)
	case s >= 400 && s < 500:
		e.Code = CodeInvalid
		e.Message = "the Aspire API refused the request parameters"
		if e.Detail != "" {
			// A 400's message names the bad parameter, which the user needs;
			// it is bounded and scrubbed, and never a body quoted whole.
			e.Message += ": " + e.Detail
		}
	default:
		e.Code = CodeUnavailable
		e.Message = "the Aspire API is unavailable"
	}
	return e
}

// retryAfter reads Retry-After (seconds or HTTP date), else X-RateLimit-Reset
// (epoch seconds).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get(wire.HeaderRetryAfter); v != "" {
		var secs int
		if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, t.Sub(now))
		}
	}
	if v := h.Get(wire.HeaderRateLimitReset); v != "" {
		var epoch int64
		if _, err := fmt.Sscanf(v, "%d", &epoch); err == nil {
			return max(0, time.Unix(epoch, 0).Sub(now))
		}
	}
	return 0
}

// contextError maps the caller's cancelled or expired context.
func contextError(endpoint string, err error) *Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeDeadline, Endpoint: endpoint, Err: err,
			Message: "the request deadline (request-timeout) passed before this data was fetched; ask for less, or retry"}
	}
	return &Error{Code: CodeUnavailable, Endpoint: endpoint, Message: "the request was cancelled", Err: err}
}

const maxDetail = 300

// scrub removes key from s and bounds its length.
func scrub(s, key string) string {
	if key != "" {
		s = strings.ReplaceAll(s, key, "[redacted]")
	}
	if len(s) > maxDetail {
		s = s[:maxDetail] + "…"
	}
	return s
}
