package platformapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// cannedTransport answers every request with the same response without a
// network, so the benchmarks measure the client alone: request build,
// retryablehttp, response read and decode.
type cannedTransport struct {
	status int
	body   string
}

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: t.status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(t.body)),
		Request:    r,
	}, nil
}

const (
	benchInstance = "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng"
	benchEnv      = "86b413a8-1ebf-4c95-bc5b-139573b77910"
)

func benchClient(b *testing.B, tr http.RoundTripper) *platformapi.Client {
	b.Helper()
	c, err := platformapi.New(platformapi.Options{BaseURL: "http://127.0.0.1:1/api/rest/v1", Transport: tr})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkCreateAttachment(b *testing.B) {
	c := benchClient(b, cannedTransport{status: 200, body: `{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + benchInstance + `","environmentId":"` + benchEnv + `","id":"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA"}`})
	acct := platformapi.Account{ID: "acme-A1B2C3", Credentials: platformapi.Basic("BOOMI_TOKEN.jane@example.com", "secret")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		att, err := c.CreateAttachment(ctx, acct, benchInstance, benchEnv)
		if err != nil || att.EnvironmentID != benchEnv {
			b.Fatalf("CreateAttachment = %+v, %v", att, err)
		}
	}
}

func BenchmarkCreateAttachmentError(b *testing.B) {
	c := benchClient(b, cannedTransport{status: 400, body: `{"@type":"Error","message":"Environment x does not exist."}`})
	acct := platformapi.Account{ID: "acme-A1B2C3", Credentials: platformapi.Basic("BOOMI_TOKEN.jane@example.com", "secret")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateAttachment(ctx, acct, benchInstance, benchEnv); err == nil {
			b.Fatal("CreateAttachment succeeded, want the 400")
		}
	}
}

func BenchmarkQueryAttachments(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"@type":"QueryResult","numberOfResults":100,"result":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"@type":"IntegrationPackEnvironmentAttachment","integrationPackInstanceId":"` + benchInstance + `","environmentId":"` + benchEnv + `","id":"x"}`)
	}
	sb.WriteString(`]}`)
	c := benchClient(b, cannedTransport{status: 200, body: sb.String()})
	acct := platformapi.Account{ID: "acme-A1B2C3", Credentials: platformapi.Basic("BOOMI_TOKEN.jane@example.com", "secret")}
	filter := platformapi.Equals("integrationPackInstanceId", benchInstance)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		atts, err := c.QueryAttachments(ctx, acct, &filter)
		if err != nil || len(atts) != 100 {
			b.Fatalf("QueryAttachments = %d, %v", len(atts), err)
		}
	}
}
