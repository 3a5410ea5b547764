// Package gateway is the HTTP side of ipack-gateway: the Server, its
// routes (routes.go) and the GraphQL-over-HTTP endpoint, with what runs
// before a query executes (a fair turn to execute for each request, run on
// a worker goroutine when it had to wait; authentication of spaces and
// tokens; per-client limits; the query's analysis, limits and variables,
// through package gateway/query, with graphql-go given the very text that
// was measured; a mutation with an Idempotency-Key run once, through
// package idempotency) and the token endpoint.
//
// Each other concern is a sub-package with its own setup, which the Server
// wires into its routes:
//
//   - query: the query's analysis (no HTTP);
//   - connlimit: the bounds on inbound connections (all, and per client
//     address), and closing the connection of a request answered before
//     its body was read;
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
// builds the long-lived parts from the configuration (the tracer provider,
// the Observer, the limits, the REST client, the resolvers and their
// schema, the query Analyzer) and hands them to NewServer (Deps), which
// assembles them into HTTP routes and makes only the request side's own
// state: the spaces and their tokens (swapped by Reload), the turns to
// execute, the Idempotency-Key keeper over the limits' records, the
// /readyz checks. RESTObserver is the gateway's rules for what REST
// answers (refused passthrough tokens, the credentials checks), which the
// composition root puts in front of the telemetry Observer.
//
// Besides /graphql it serves /auth/jwt/generate/{accountId} (the token
// endpoint), /healthz (liveness), /readyz (readiness), /metrics
// (Prometheus) and GraphiQL for browsers; it logs one line per request and
// per failed REST attempt, and traces with OpenTelemetry when given a
// tracer provider. What each of these does for clients and operators is in
// the repository's docs/.
package gateway
