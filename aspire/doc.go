// Package aspire is a typed client of the Aspire REST API (beta): posts,
// members (creators) with metric roll-ups, projects (campaigns) and groups.
//
// A Client holds the process-wide machinery and no credentials; Client.As
// binds it to one workspace's Creds and returns a Tenant, through which every
// call goes. Each call passes, in order, a response cache, in-flight
// de-duplication, a client-side rate limit and retries (see transport.go);
// every one of them is keyed by the tenant's fingerprint, never by the clear
// key, so no tenant is ever answered with another's data.
//
// Decisions (and why):
//   - Wire details the contract marks ASSUMED live in aspire/internal/wire
//     (paths, parameters, headers, envelope, error body) and in the json tags
//     of records.go, one place each, shared with the simulator.
//   - The cache holds decoded values, weighed by their body size, so a hit
//     costs no JSON decoding. Records are therefore shared: read-only.
//   - De-duplication is a small refcounted group (flight.go) rather than
//     x/sync/singleflight: a shared upstream call must survive the
//     cancellation of the caller that started it, and stop when every waiter
//     has gone.
//   - A Retry-After longer than WithMaxRetryAfter is not waited out: the call
//     fails with CodeRateLimited and the RetryAfter, so a GraphQL client hears
//     when to come back instead of holding a connection.
//   - Batch look-ups return the rows of the calls that succeeded along with
//     the first error, so one failed batch fails only its own ids.
package aspire
