// Package graph is the GraphQL schema's executor: its resolvers, their
// arguments and connections, and the handler that serves them.
//
// Resolvers. The *.resolvers.go files (gqlgen's layout, one per schema
// file) and resolver.go hold the root resolver, which keeps no per-request
// state: the request's loaders (package loaders), and through them its
// credentialed client, travel in the context. The relation fields are
// gqlgen batch resolvers (relations.go, batch.go): each is called once with
// every sibling parent, so their keys reach a loader together.
// report.go plans performance roll-ups (package report); hints.go puts the
// Aspire guide's advice for an empty list in the extensions; drift.go marks
// a field the upstream no longer sends (UPSTREAM_CONTRACT_DRIFT); trace.go
// gives the resolvers that wait a span.
//
// Arguments and connections (args.go): the date range and filters turned
// into upstream queries, and the connections' paging: first/after, opaque
// cursors bound to the list (and tenant) they came from, pageInfo, edges
// and totalCount.
//
// The handler (handler.go: NewHandler) puts gqlgen's executor together
// with the operation policy that runs before an operation executes: the
// limits (limits.go), the error cap and presenter (errors.go), persisted
// queries and the parsed-document cache in bytes (apq.go), and the HTTP
// transports that write answers as gqlgen's do, only cheaper
// (transport.go).
//
// Where the rest lives now:
//   - the gqlgen runtime stand-ins are in graph/internal/gqlexec;
//     graph/internal/execpatch rewrites generated.go's calls to them on
//     go generate, and runtime.go hands them this schema's tables and keeps
//     what needs the generated types (the resolver getters, the edge
//     wrappers, the Metrics marshaller);
//   - admission, the tenant-fair bound on executions with its CPU sub-gate,
//     is package admission; Admission (admission.go) is its gqlgen adapter,
//     which server installs right after NewHandler (a bare NewHandler bounds
//     no executions).
package graph
