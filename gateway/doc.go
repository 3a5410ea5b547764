// Package gateway is the HTTP side of ipack-gateway: the Server, its
// routes (routes.go), the GraphQL-over-HTTP endpoint and what runs before
// a query executes (a fair turn to execute for each request, run on a
// worker goroutine when it had to wait; authentication of spaces and
// tokens; per-client limits; the query's analysis, limits and variables,
// through package gateway/query, with graphql-go given the very text that
// was measured; a mutation with an Idempotency-Key run once, through
// package idempotency), the token endpoint, health, GraphiQL, the bound on
// open connections and the request log.
//
// For now it also holds parts that the composition root (internal/compose,
// which cmd/gateway's run calls) builds from the configuration and hands
// to NewServer and the REST client: the Observer that every REST attempt
// and attach reports to (metrics, logs, spans), the tracer provider
// (NewTracerProvider, an OTLP exporter) and the rate limits (NewLimits: in
// this process, or shared by replicas in Redis). compose.Gateway shows the
// wiring in one function.
//
// Besides /graphql it serves /auth/jwt/generate/{accountId} (the token
// endpoint), /healthz (liveness), /readyz (readiness), /metrics
// (Prometheus) and GraphiQL for browsers; it logs one line per request and
// per failed REST attempt, and traces with OpenTelemetry when given a
// tracer provider. What each of these does for clients and operators is in
// the repository's docs/.
package gateway
