// Package gateway is the HTTP side of ipack-gateway: the Server, its
// routes (routes.go) and the GraphQL-over-HTTP endpoint, with what runs
// before a query executes (authentication, then a fair turn to execute,
// run on a worker goroutine when it had to wait: turns.go; the query's
// analysis, limits and variables, through package gateway/query, with
// graphql-go given the very text that was measured; a mutation with an
// Idempotency-Key run once, through package idempotency).
//
// Each other concern is a sub-package with its own setup, which the Server
// wires into its routes:
//
//   - auth: the configured spaces (auth.Spaces, swapped on reload, and the
//     resolvers' resolver.SpaceDirectory), client tokens, the gateway's
//     JWTs and the token endpoint, passthrough spaces, SPACE_GUID
//     inference, the failed-authentication throttle and the per-client
//     rate; a request is authenticated once, before its turn, and its
//     auth.Principal is in its context;
//   - admission: the fair queue of turns to execute (keyed by the
//     principal's space and client), the worker goroutines and the body's
//     read-ahead; the request's admission.Ticket is in its context;
//   - query: the query's analysis (no HTTP);
//   - connlimit: the bounds on inbound connections (all, and per client
//     address), and closing the connection of a request answered before
//     its body was read;
//   - clientaddr: which address a request's client has, its peer's or,
//     from a trusted proxy, the forwarded one (for the limits kept per
//     address);
//   - reqlog: request ids, the per-request record (reqlog.Info) that the
//     handlers fill and the access log, metrics and spans read, the access
//     log, and the process's logger;
//   - telemetry: the Observer that every REST attempt and attach reports to
//     (metrics, spans), the Prometheus metrics and tracing;
//   - limits: the per-client limit, the failed-authentication throttle and
//     the Idempotency-Key records, in this process or shared by the
//     replicas in Redis;
//   - health: /readyz, with the check of each space's REST credentials;
//   - graphiql: the GraphiQL page for browsers.
//
// The composition root (internal/compose, which cmd/gateway's run calls)
// builds every long-lived part from the configuration (the tracer
// provider, the Observer behind auth.RESTObserver, the limits, the REST
// client, the spaces' registry, the resolvers and their schema, the query
// Analyzer) and hands them to NewServer (Deps), which assembles them into
// HTTP routes and makes only the request side's own state: the
// authenticator over the spaces, the turns to execute, the Idempotency-Key
// keeper over the limits' records, the /readyz checks.
//
// Besides /graphql it serves /auth/jwt/generate/{accountId} (the token
// endpoint), /healthz (liveness), /readyz (readiness), /metrics
// (Prometheus) and GraphiQL for browsers; it logs one line per request and
// per failed REST attempt, and traces with OpenTelemetry when given a
// tracer provider. What each of these does for clients and operators is in
// the repository's docs/.
package gateway
