package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
	"github.com/aspire-graphql/aspire-graphql/codes"
)

// Error codes of extensions.code: the names graph and server use for the
// one table in package codes (which the README's error table renders).
const (
	CodeUnauthenticated     = codes.Unauthenticated
	CodeForbidden           = codes.Forbidden
	CodeNotFound            = codes.NotFound
	CodeBadUserInput        = codes.BadUserInput
	CodeRateLimited         = codes.RateLimited
	CodeUpstreamUnavailable = codes.UpstreamUnavailable
	CodeOperationLimit      = codes.OperationLimit
	CodeDeadlineExceeded    = codes.DeadlineExceeded
	CodeInternal            = codes.Internal
	// CodeBadRequest is a malformed request: a parameter of the wrong JSON
	// type, an APQ hash that does not match its query, an operation name
	// the document does not hold. BAD_USER_INPUT is for arguments.
	CodeBadRequest = codes.BadRequest
	// The automatic persisted queries protocol's own codes, which Apollo's
	// and urql's persisted-query links act on.
	CodePersistedQueryNotFound     = codes.PersistedQueryNotFound
	CodePersistedQueryNotSupported = codes.PersistedQueryNotSupported
)

// badInput is an error in the caller's arguments.
func badInput(format string, args ...any) error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": CodeBadUserInput}}
}

// DeadlineMessage is what a client reads when its request ran out of time.
const DeadlineMessage = "the request deadline (request-timeout) passed before the answer was complete; ask for less, or retry"

// ErrorPresenter maps every error to what a client may see: upstream errors
// to their code with a safe message (never a key, never an upstream body),
// our own errors as they are, anything else to a generic internal error
// whose detail goes to the log only.
func ErrorPresenter(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var ae *aspire.Error
	if errors.As(err, &ae) {
		gerr.Message = ae.Message
		gerr.Extensions = map[string]any{"code": codes.FromUpstream(ae.Code)}
		if ae.Code == aspire.CodeRateLimited && ae.RetryAfter > 0 {
			gerr.Extensions["retryAfter"] = int(math.Ceil(ae.RetryAfter.Seconds()))
		}
		if h := Hint(ae); h != "" {
			gerr.Extensions["hint"] = h
		}
		zerolog.Ctx(ctx).Debug().Str("code", string(ae.Code)).Int("status", ae.Status).Str("endpoint", ae.Endpoint).
			Str("upstream_code", ae.UpstreamCode).Str("detail", ae.Detail).Msg("upstream error")
		return gerr
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) && ge.Extensions["code"] != nil {
		if name, ok := unknownOperation(ge); ok {
			gerr.Message = fmt.Sprintf("the document has no operation named %q (operationName)", shortenName(name))
			gerr.Extensions = map[string]any{"code": CodeBadRequest}
		} else if c := ge.Extensions["code"]; c == errcode.ValidationFailed || c == errcode.ParseFailed || c == CodeBadUserInput {
			gerr.Message = shortenEcho(gerr.Message)
		}
		return gerr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		gerr.Message = DeadlineMessage
		gerr.Extensions = map[string]any{"code": CodeDeadlineExceeded}
		return gerr
	}
	if errors.Is(err, context.Canceled) {
		gerr.Message = "the request was cancelled"
		gerr.Extensions = map[string]any{"code": CodeUpstreamUnavailable}
		return gerr
	}
	if ge != nil && ge.Rule != "" {
		// A validation error of the document: its message is for the
		// caller, with what it echoes of the document cut short.
		gerr.Message = shortenEcho(gerr.Message)
		return gerr
	}
	zerolog.Ctx(ctx).Error().Err(err).Msg("internal error")
	gerr.Message = "internal error"
	gerr.Extensions = map[string]any{"code": CodeInternal}
	return gerr
}

// unknownOperation recognises gqlgen's error for an operationName the
// document does not hold (it has no code of its own).
func unknownOperation(e *gqlerror.Error) (string, bool) {
	if e.Extensions["code"] != errcode.ValidationFailed || e.Rule != "" {
		return "", false
	}
	name, ok := strings.CutPrefix(e.Message, "operation ")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(name, " not found")
}

// Recover turns a resolver panic into an internal error; the panic goes to
// the log with the request id, never to the client.
func Recover(ctx context.Context, p any) error {
	zerolog.Ctx(ctx).Error().Interface("panic", p).Msg("resolver panic")
	return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
}

// Hint is the Aspire guide's advice for an authentication failure, in one
// sentence (never the key), or "".
func Hint(e *aspire.Error) string {
	switch {
	case e.Code == aspire.CodeUnauthenticated && e.MissingScope():
		return "The API key lacks a scope this data needs: posts and members need read:social, projects and groups read:member; create a key with them in Settings → Integrations → Aspire API."
	case e.Code == aspire.CodeUnauthenticated && e.Expired():
		return "The API key has expired: create a new one in Settings → Integrations → Aspire API."
	case e.Code == aspire.CodeUnauthenticated:
		return "The API key is wrong, has extra spaces, or has expired: copy it again from Settings → Integrations → Aspire API (it is shown once when created)."
	case e.Code == aspire.CodeForbidden:
		return "The client id is not the key's workspace: it is the id after /client/ in your Aspire URL."
	}
	return ""
}

// MaxEchoed is the longest part of a caller's document or arguments an
// error message repeats whole. gqlparser quotes names and prints values in
// full ("Cannot query field \"…\"", "found …"), and so do our argument
// errors ("invalid date \"…\""): a 200 kB made-up field name came back
// as a 200 kB message, each time it occurred. Real names and values are
// short; a cut one still says where it was and how long.
const MaxEchoed = 64

// MaxErrorMessage bounds a message that echoes the caller whatever its
// shape (a long list of short words).
const MaxErrorMessage = 1024

// shortenName cuts s past MaxEchoed, saying how long it was.
func shortenName(s string) string {
	if len(s) <= MaxEchoed {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", cutRunes(s, MaxEchoed), len(s))
}

// cutRunes is s cut to at most n bytes, on a rune boundary.
func cutRunes(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}

// shortenEcho cuts, in a message that echoes the caller, every quoted part
// longer than MaxEchoed and every word longer than twice that, then the
// message to MaxErrorMessage.
func shortenEcho(msg string) string {
	if len(msg) <= 2*MaxEchoed {
		return msg // nothing in it can be too long
	}
	msg = shortenRuns(msg, MaxEchoed, func(s string) (int, int) { // "quoted" parts
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return -1, -1
		}
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return -1, -1
		}
		return i + 1, i + 1 + j
	})
	// Words: a cut quoted part is a few bytes over MaxEchoed, and stays.
	msg = shortenRuns(msg, 2*MaxEchoed, func(s string) (int, int) { // words
		i := strings.IndexFunc(s, func(r rune) bool { return r != ' ' })
		if i < 0 {
			return -1, -1
		}
		j := strings.IndexByte(s[i:], ' ')
		if j < 0 {
			return i, len(s)
		}
		return i, i + j
	})
	if len(msg) > MaxErrorMessage {
		msg = fmt.Sprintf("%s… (%d bytes)", cutRunes(msg, MaxErrorMessage), len(msg))
	}
	return msg
}

// shortenRuns applies shortenName to each run longer than limit that next
// finds in msg (its start and end, -1 when there is none left), left to
// right.
func shortenRuns(msg string, limit int, next func(string) (int, int)) string {
	var b strings.Builder
	for {
		i, j := next(msg)
		if i < 0 {
			break
		}
		b.WriteString(msg[:i])
		if j-i > limit {
			b.WriteString(shortenName(msg[i:j]))
		} else {
			b.WriteString(msg[i:j])
		}
		msg = msg[j:]
		if msg != "" { // the closing quote or space
			b.WriteByte(msg[0])
			msg = msg[1:]
		}
	}
	b.WriteString(msg)
	return b.String()
}

// MaxDocumentErrors is the most errors a document that does not validate
// gets back, as graphql-js's validate (maxErrors 100): past it, the errors
// are one more of the same mistake, and each costs a line of the answer.
const MaxDocumentErrors = 100

// errorCap trims the errors of an answer without data (the document's)
// to MaxDocumentErrors, with graphql-js's closing error.
type errorCap struct{}

func (errorCap) ExtensionName() string                   { return "ErrorCap" }
func (errorCap) Validate(graphql.ExecutableSchema) error { return nil }

func (errorCap) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil && resp.Data == nil && len(resp.Errors) > MaxDocumentErrors {
		resp.Errors = append(resp.Errors[:MaxDocumentErrors:MaxDocumentErrors], &gqlerror.Error{
			Message:    "Too many validation errors, error limit reached. Validation aborted.",
			Extensions: map[string]any{"code": errcode.ValidationFailed},
		})
	}
	return resp
}
