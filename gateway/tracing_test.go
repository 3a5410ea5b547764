package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/internal/compose"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const (
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
	traceparent   = "00-" + clientTraceID + "-" + clientSpanID + "-01"
)

func TestTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newOpsEnv(t, opsOptions{composeOpts: compose.Options{Tracer: tp}})
	e.get(t, "/readyz", nil)
	exp.Reset() // readiness checks are not traced; start from the request
	r := e.request(t, `mutation attachIpackInstance { `+attachField+`(input: {integrationPackInstanceId: "`+seedInst+`", environmentIds: ["`+seedEnvA+`", "`+seedEnvB+`"]}) { id } }`,
		map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken, "traceparent": traceparent})
	if r.status != 200 {
		t.Fatalf("attach = %d %s", r.status, r.body)
	}

	spans := exp.GetSpans()
	var server *tracetest.SpanStub
	var rest []tracetest.SpanStub
	for i, s := range spans {
		switch {
		case s.Name == "POST /graphql":
			server = &spans[i]
		case strings.HasPrefix(s.Name, "REST "):
			rest = append(rest, s)
		default:
			t.Errorf("unexpected span %q", s.Name)
		}
	}
	if server == nil {
		t.Fatalf("no POST /graphql span among %d", len(spans))
	}
	if got := server.SpanContext.TraceID().String(); got != clientTraceID {
		t.Errorf("server span trace id = %s, want the client's %s", got, clientTraceID)
	}
	if got := server.Parent.SpanID().String(); got != clientSpanID {
		t.Errorf("server span parent = %s, want the client's span %s", got, clientSpanID)
	}
	if server.SpanKind != trace.SpanKindServer {
		t.Errorf("server span kind = %v", server.SpanKind)
	}
	attrs := map[string]string{}
	for _, a := range server.Attributes {
		attrs[string(a.Key)] = a.Value.String()
	}
	for k, v := range map[string]string{"graphql.operation.name": "attachIpackInstance", "graphql.operation.type": "mutation", "ipack.outcome": "ok", "ipack.rest_calls": "2"} {
		if attrs[k] != v {
			t.Errorf("server span %s = %q, want %q", k, attrs[k], v)
		}
	}
	// A client span per REST call, child of the request's span.
	if len(rest) != 2 {
		t.Fatalf("%d REST spans, want 2 (one per environment)", len(rest))
	}
	restSpanIDs := map[string]bool{}
	for _, s := range rest {
		if s.Name != "REST POST IntegrationPackEnvironmentAttachment" || s.SpanKind != trace.SpanKindClient {
			t.Errorf("REST span %q kind %v", s.Name, s.SpanKind)
		}
		if s.Parent.SpanID() != server.SpanContext.SpanID() || s.SpanContext.TraceID().String() != clientTraceID {
			t.Errorf("REST span %q is not a child of the request's span", s.Name)
		}
		restSpanIDs[s.SpanContext.SpanID().String()] = true
	}
	// The upstream got W3C traceparent naming each REST span.
	creates := 0
	for _, req := range e.sim.Requests() {
		if req.Method != http.MethodPost || !strings.HasSuffix(req.Path, "/IntegrationPackEnvironmentAttachment") {
			continue
		}
		creates++
		parts := strings.Split(req.Header.Get("Traceparent"), "-")
		if len(parts) != 4 || parts[1] != clientTraceID || !restSpanIDs[parts[2]] {
			t.Errorf("upstream traceparent = %q, want trace %s and a REST span's id", req.Header.Get("Traceparent"), clientTraceID)
		}
	}
	if creates != 2 {
		t.Errorf("%d CREATE calls recorded, want 2", creates)
	}
}

func TestTracingOffByDefault(t *testing.T) {
	e := newOpsEnv(t, opsOptions{})
	e.request(t, listQuery, map[string]string{"SPACE_GUID": testSpace, "Authorization": "Bearer " + testToken, "traceparent": traceparent})
	for _, req := range e.sim.Requests() {
		if h := req.Header.Get("Traceparent"); h != "" {
			t.Errorf("%s %s carried traceparent %q with tracing off", req.Method, req.Path, h)
		}
	}
}
