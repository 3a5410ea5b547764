package auth

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ipack-gateway/ipack-gateway/gateway/telemetry"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestRefusedAttemptEndsNoSpan: an attempt the REST observer refuses (a
// passthrough request whose token REST refused) has no span of its own,
// and the telemetry Observer behind it must not end the one it finds in
// the context instead: the request's server span, which would end early,
// with status Error. An attempt that is not refused ends its own span and
// only that.
func TestRefusedAttemptEndsNoSpan(t *testing.T) {
	for _, refused := range []bool{true, false} {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		o := RESTObserver(telemetry.NewObserver("test", tp))
		ctx, server := tp.Tracer("test").Start(context.Background(), "POST /graphql")
		pc := &passthroughCall{}
		pc.refused.Store(refused)
		ctx = context.WithValue(ctx, passthroughKey{}, pc)

		a := platformapi.Attempt{Method: "POST", Object: "IntegrationPackEnvironmentAttachment", Number: 1}
		actx, err := o.AttemptStart(ctx, a)
		if (err != nil) != refused {
			t.Fatalf("refused %v: AttemptStart error = %v", refused, err)
		}
		a.Err, a.StatusCode = err, 0
		if !refused {
			a.Dispatched, a.StatusCode = true, 200
		}
		o.AttemptDone(actx, a)

		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.Name())
		}
		want := 1 // the attempt's own span
		if refused {
			want = 0
		}
		if len(names) != want || (want == 1 && names[0] != "REST POST IntegrationPackEnvironmentAttachment") {
			t.Errorf("refused %v: spans ended by the attempt = %q, want %d REST span(s) and never the server span", refused, names, want)
		}
		server.End()
		_ = tp.Shutdown(context.Background())
	}
}
