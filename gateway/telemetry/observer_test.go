package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ipack-gateway/ipack-gateway/gateway/reqlog"
	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestNewRESTObjectLabelled: the metrics label a REST attempt with the
// object platformapi names, whatever it is: a REST object added to
// platformapi needs no change here to be counted as itself.
func TestNewRESTObjectLabelled(t *testing.T) {
	obs := telemetry.NewObserver("test", nil)
	ctx := context.Background()
	for n := 1; n <= 2; n++ { // an attempt and its retry
		a := platformapi.Attempt{AccountID: "acct-fake", Object: "BrandNewObject", Method: http.MethodPost, Number: n}
		actx, err := obs.AttemptStart(ctx, a)
		if err != nil {
			t.Fatalf("AttemptStart: %v", err)
		}
		a.Dispatched, a.StatusCode, a.Duration = true, http.StatusOK, time.Millisecond
		obs.AttemptDone(actx, a)
	}
	w := httptest.NewRecorder()
	obs.Metrics().Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`ipack_gateway_rest_requests_total{code="200",method="post",object="BrandNewObject"} 2`,
		`ipack_gateway_rest_retries_total{method="post",object="BrandNewObject"} 1`,
		`ipack_gateway_rest_request_duration_seconds_count{method="post",object="BrandNewObject"} 2`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestTraceGraphQL: a GraphQL request gets a server span named after its
// method, continuing the client's trace, with what its reqlog.Info says
// once it is answered; other paths, and GraphiQL's page, get none; and
// each REST attempt's span (AttemptStart) is a child of it, sent upstream
// as traceparent by TracingTransport. The REST counters reach the Info.
func TestTraceGraphQL(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	obs := telemetry.NewObserver("test", tp)
	var sent string
	upstream := telemetry.TracingTransport(roundTripper(func(r *http.Request) (*http.Response, error) {
		sent = r.Header.Get("traceparent")
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	h := reqlog.RequestID(telemetry.TraceGraphQL(tp)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := reqlog.InfoFrom(r.Context())
		if r.Method == "POST" && r.URL.Path == "/graphql" {
			info.Operation, info.OperationType, info.Outcome = "attachIpackInstance", "mutation", reqlog.OutcomePartial
			a := platformapi.Attempt{Object: "IntegrationPackEnvironmentAttachment", Method: "POST", Number: 1}
			ctx, _ := obs.AttemptStart(r.Context(), a)
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://upstream/x", nil)
			if _, err := upstream.RoundTrip(req); err != nil {
				t.Error(err)
			}
			a.Dispatched, a.StatusCode = true, 200
			obs.AttemptDone(ctx, a)
		}
		w.WriteHeader(http.StatusOK)
	})))
	for _, path := range []string{"/graphql", "/readyz"} {
		req := httptest.NewRequest("POST", path, nil)
		req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	page := httptest.NewRequest("GET", "/graphql", nil)
	page.Header.Set("Accept", "text/html")
	h.ServeHTTP(httptest.NewRecorder(), page)

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the REST attempt's and the request's", len(spans))
	}
	rest, server := spans[0], spans[1]
	if server.Name() != "POST /graphql" || server.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("server span %q in trace %s", server.Name(), server.SpanContext().TraceID())
	}
	attrs := map[string]string{}
	for _, kv := range server.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	for k, v := range map[string]string{"graphql.operation.name": "attachIpackInstance", "graphql.operation.type": "mutation",
		"ipack.outcome": "partial", "ipack.rest_calls": "1"} {
		if attrs[k] != v {
			t.Errorf("server span: %s = %q, want %q", k, attrs[k], v)
		}
	}
	if rest.Parent().SpanID() != server.SpanContext().SpanID() || !strings.Contains(sent, rest.SpanContext().SpanID().String()) {
		t.Errorf("REST span %q: parent %s, traceparent sent %q", rest.Name(), rest.Parent().SpanID(), sent)
	}
	if !obs.UpstreamAnsweredWithin(time.Minute) {
		t.Error("the REST answer is no sign of the upstream's life")
	}
	_ = tp.Shutdown(context.Background())
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
