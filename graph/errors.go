package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// Error codes of extensions.code.
const (
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeForbidden           = "FORBIDDEN"
	CodeNotFound            = "NOT_FOUND"
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeOperationLimit      = "OPERATION_LIMIT_EXCEEDED"
	CodeDeadlineExceeded    = "DEADLINE_EXCEEDED"
	CodeInternal            = "INTERNAL_SERVER_ERROR"
	// CodeBadRequest is a malformed request: a parameter of the wrong JSON
	// type, an APQ hash that does not match its query, an operation name
	// the document does not hold. BAD_USER_INPUT is for arguments.
	CodeBadRequest = "BAD_REQUEST"
	// The automatic persisted queries protocol's own codes, which Apollo's
	// and urql's persisted-query links act on.
	CodePersistedQueryNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
)

// badInput is an error in the caller's arguments.
func badInput(format string, args ...any) error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": CodeBadUserInput}}
}

var codes = map[aspire.Code]string{
	aspire.CodeUnauthenticated: CodeUnauthenticated,
	aspire.CodeForbidden:       CodeForbidden,
	aspire.CodeNotFound:        CodeNotFound,
	aspire.CodeInvalid:         CodeBadUserInput,
	aspire.CodeRateLimited:     CodeRateLimited,
	aspire.CodeUnavailable:     CodeUpstreamUnavailable,
	aspire.CodeBudgetExceeded:  CodeOperationLimit,
	aspire.CodeDeadline:        CodeDeadlineExceeded,
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
		gerr.Extensions = map[string]any{"code": codes[ae.Code]}
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
			gerr.Message = fmt.Sprintf("the document has no operation named %q (operationName)", name)
			gerr.Extensions = map[string]any{"code": CodeBadRequest}
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
		return gerr // a validation error of the document: its message is for the caller
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
