// Package codes is the server's one error vocabulary: every code a client
// reads, in GraphQL's extensions.code, in an export's HTTP error body and
// in the closing error line of an NDJSON export, with its HTTP status and
// meaning, and the mapping from the Aspire client's error codes. graph,
// server and export read it; the README's error table is Markdown() (a
// test keeps them equal).
package codes

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/aspire-graphql/aspire-graphql/aspire"
)

// The codes.
const (
	Unauthenticated     = "UNAUTHENTICATED"
	Forbidden           = "FORBIDDEN"
	NotFound            = "NOT_FOUND"
	BadUserInput        = "BAD_USER_INPUT"
	BadRequest          = "BAD_REQUEST"
	RateLimited         = "RATE_LIMITED"
	UpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	ContractDrift       = "UPSTREAM_CONTRACT_DRIFT"
	OperationLimit      = "OPERATION_LIMIT_EXCEEDED"
	DeadlineExceeded    = "DEADLINE_EXCEEDED"
	Internal            = "INTERNAL_SERVER_ERROR"
	// gqlgen's own (errcode.ParseFailed, errcode.ValidationFailed).
	ParseFailed      = "GRAPHQL_PARSE_FAILED"
	ValidationFailed = "GRAPHQL_VALIDATION_FAILED"
	// The automatic persisted queries protocol's, which Apollo's and
	// urql's persisted-query links act on.
	PersistedQueryNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	PersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	IntrospectionDisabled      = "INTROSPECTION_DISABLED"
)

// Entry is one row of the table.
type Entry struct {
	Code string
	// Status is the HTTP status of a request refused as a whole with this
	// code (an export, or a refusal before GraphQL runs); a GraphQL answer
	// that has data is 200 whatever its errors.
	Status int
	// Upstream is the Aspire client's code shown as this one ("" if none).
	Upstream aspire.Code
	Meaning  string
}

// Table is every code, in the README's order.
var Table = []Entry{
	{Unauthenticated, http.StatusUnauthorized, aspire.CodeUnauthenticated, "no key or token was sent, or the Aspire API refused the key (unknown, revoked, expired, or lacking the scope the field needs)"},
	{Forbidden, http.StatusForbidden, aspire.CodeForbidden, "the key's workspace is not the client id sent; or (loopback server-key mode) a foreign Host (421) or a cross-site request"},
	{NotFound, http.StatusNotFound, aspire.CodeNotFound, "the record or the route does not exist"},
	{BadUserInput, http.StatusBadRequest, aspire.CodeInvalid, "an argument or export parameter is out of range or malformed (405/406/415 for a wrong method or media type)"},
	{BadRequest, http.StatusBadRequest, "", "a malformed request: a parameter of the wrong JSON type, no query, an unknown operationName, an APQ hash that is not its query's"},
	{RateLimited, http.StatusTooManyRequests, aspire.CodeRateLimited, "the Aspire API's rate limit, or this server's, was reached; retryAfter (GraphQL) or Retry-After (HTTP) says when to come back"},
	{UpstreamUnavailable, http.StatusBadGateway, aspire.CodeUnavailable, "the Aspire API could not be reached, answered 5xx, redirected, or sent a body that could not be read"},
	{ContractDrift, http.StatusBadGateway, aspire.CodeContract, "the Aspire API sent something its contract rules out: a field it no longer sends, a page that breaks the paging contract, a link that is not an http(s) URL"},
	{OperationLimit, http.StatusBadRequest, aspire.CodeBudgetExceeded, "a limit of this server was passed: document size, fields, depth, aliases, complexity, upstream budget (413 for max-body-bytes)"},
	{DeadlineExceeded, http.StatusGatewayTimeout, aspire.CodeDeadline, "the request's deadline (request-timeout, export-timeout) passed before the answer was complete"},
	{Internal, http.StatusInternalServerError, "", "a fault of this server; the detail is in its log under the request id"},
	{ParseFailed, http.StatusUnprocessableEntity, "", "the document is not GraphQL (200 when the client accepts only application/json)"},
	{ValidationFailed, http.StatusUnprocessableEntity, "", "the document does not fit the schema (200 when the client accepts only application/json)"},
	{PersistedQueryNotFound, http.StatusOK, "", "APQ: the server does not hold this hash; send the query with it"},
	{PersistedQueryNotSupported, http.StatusBadRequest, "", "APQ: the request's persisted-query extension is not one this server reads"},
	{IntrospectionDisabled, http.StatusNotFound, "", "introspection is off (-introspection=false), and with it /schema.graphql"},
}

var fromUpstream = map[aspire.Code]string{}

func init() {
	for _, e := range Table {
		if e.Upstream != "" {
			fromUpstream[e.Upstream] = e.Code
		}
	}
}

// FromUpstream is the code shown for an Aspire client error code; an
// unknown one is UPSTREAM_UNAVAILABLE (aspire.CodeOf's default too).
func FromUpstream(c aspire.Code) string {
	if s, ok := fromUpstream[c]; ok {
		return s
	}
	return UpstreamUnavailable
}

// Of is the code shown for err (an aspire error, or UPSTREAM_UNAVAILABLE).
func Of(err error) string { return FromUpstream(aspire.CodeOf(err)) }

// Status is code's HTTP status (502 for a code not in the table).
func Status(code string) int {
	for _, e := range Table {
		if e.Code == code {
			return e.Status
		}
	}
	return http.StatusBadGateway
}

// Markdown renders the table as the README's.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| code | HTTP status | meaning |\n| --- | --- | --- |\n")
	for _, e := range Table {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", e.Code, e.Status, e.Meaning)
	}
	return b.String()
}
