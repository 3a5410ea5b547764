package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoMode starts the whole program with no flags but a loopback
// port, follows the curl it prints, and gets the vendor's sample answer.
func TestDemoMode(t *testing.T) {
	out := startDemo(t)
	base := regexp.MustCompile(`running in demo mode on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out)
	if base == nil {
		t.Fatalf("no address printed: %s", out)
	}

	// The printed curl, replayed: the first command; more examples follow
	// (demo_test.go).
	if i := strings.Index(out, "'\n\n"); i >= 0 {
		out = out[:i+1]
	}
	body := regexp.MustCompile(`-d '([^']*)'`).FindStringSubmatch(out)
	if body == nil {
		t.Fatalf("no curl body printed: %s", out)
	}
	req, _ := http.NewRequest("POST", base[1]+"/graphql", strings.NewReader(body[1]))
	for _, h := range regexp.MustCompile(`-H '([^:]+): ([^']*)'`).FindAllStringSubmatch(out, -1) {
		req.Header[h[1]] = []string{h[2]}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `{"data":{"integrationPackInstanceEnvironmentAttachmentAttach":[{"id":"QVRUQUNIX0lQQUNLX0VOVlNXNTBaV2R5WVhScGIyNVFZV05yU1c1emRHRnVZMlV6TkRRNE5nOjg2YjQxM2E4LTFlYmYtNGM5NS1iYzViLTEzOTU3M2I3NzkxMA","environmentId":"86b413a8-1ebf-4c95-bc5b-139573b77910","integrationPackInstanceId":"SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng","environmentExtensions":null}]}}` + "\n"
	if string(got) != want {
		t.Errorf("printed curl answered\n%s\nwant\n%s", got, want)
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-config", "/nonexistent.yaml"}, "no such file"},
		{[]string{"-log-format", "xml"}, "-log-format"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nope"}, "not defined"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestLoggerDurations(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"json", `"grace":"30s"`},
		{"text", `grace=30s`},
	} {
		var out strings.Builder
		log, err := newLogger(&out, tc.format, "info")
		if err != nil {
			t.Fatal(err)
		}
		log.Info("shutting down", "grace", 30*time.Second)
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s log line %q lacks %s", tc.format, out.String(), tc.want)
		}
	}
	if _, err := newLogger(io.Discard, "xml", "info"); err == nil {
		t.Error("newLogger(xml) = nil error")
	}
}
