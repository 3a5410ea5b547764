package resolver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// lockedBuffer is a bytes.Buffer safe for the fan-out's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// warnings returns the lines at WARN or above.
func (l *lockedBuffer) warnings(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["level"] == "WARN" || m["level"] == "ERROR" {
			out = append(out, m)
		}
	}
	return out
}

func manyEnvs(n int) []string {
	envs := make([]string, n)
	for i := range envs {
		envs[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	return envs
}

// TestAttachLogLines: however many environments of an attach fail, and
// however, the resolvers log one warning line for it (plus one error line
// when a rollback leaves some attached), not one or more per environment.
func TestAttachLogLines(t *testing.T) {
	busy := &platformapi.Error{Method: "POST", StatusCode: http.StatusServiceUnavailable, Attempts: 5}
	gone := &platformapi.Error{Method: "POST", Err: context.Canceled, Ambiguous: true}
	forbidden := &platformapi.Error{Method: "DELETE", StatusCode: http.StatusForbidden}
	ok := echo("")
	tests := []struct {
		name       string
		p          *fakePlatform
		rollback   bool
		clientGone bool
		want       []string // the messages of the WARN and ERROR lines
		failed     int      // environments reported failed
	}{
		{
			name: "upstream fails everything, settling too",
			p: &fakePlatform{
				create: func(context.Context, string, string) (platformapi.Attachment, error) {
					return platformapi.Attachment{}, busy
				},
				query: func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) { return nil, busy },
			},
			want:   []string{"attach failed"},
			failed: 100,
		},
		{
			name: "client left",
			p: &fakePlatform{
				create: func(context.Context, string, string) (platformapi.Attachment, error) {
					return platformapi.Attachment{}, gone
				},
				query: func(ctx context.Context, _ *platformapi.Expression) ([]platformapi.Attachment, error) {
					return nil, ctx.Err()
				},
			},
			clientGone: true,
			want:       []string{"attach failed"},
			failed:     100,
		},
		{
			name: "rollback whose every DELETE fails",
			p: &fakePlatform{
				create: func(ctx context.Context, instanceID, env string) (platformapi.Attachment, error) {
					if strings.HasSuffix(env, "99") {
						return platformapi.Attachment{}, refused
					}
					return ok(ctx, instanceID, env)
				},
				delete: func(context.Context, string) error { return forbidden },
				query:  func(context.Context, *platformapi.Expression) ([]platformapi.Attachment, error) { return nil, nil },
			},
			// 99 stay attached and are reported so; one failed.
			rollback: true,
			want:     []string{"rollback failed: environments stay attached", "attach failed"},
			failed:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			opts := resolver.Options{
				Logger:        slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Rollback:      tt.rollback,
				SettleTimeout: 20 * time.Millisecond,
			}
			s := mustSchema(t, resolver.New(tt.p, opts))
			call, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.clientGone {
				cancel()
			}
			ctx := resolver.WithCallContext(resolver.WithAccount(context.Background(), platformapi.Account{ID: "a"}), call)
			resp := execItems(ctx, s, attach("{ id }", manyEnvs(100)...))
			if len(resp.Errors) != tt.failed {
				t.Fatalf("%d errors, want %d", len(resp.Errors), tt.failed)
			}
			lines := logs.warnings(t)
			if len(lines) != len(tt.want) {
				t.Fatalf("%d warning lines for an attach of 100, want %d: %v", len(lines), len(tt.want), lines)
			}
			for i, l := range lines {
				if l["msg"] != tt.want[i] {
					t.Errorf("line %d = %v, want %q", i, l, tt.want[i])
				}
			}
			summary := lines[len(lines)-1]
			if summary["failed"] != float64(tt.failed) || summary["environments"] != float64(100) || len(summary["environmentIds"].([]any)) != min(tt.failed, 5) {
				t.Errorf("summary = %v, want %d of 100 failed, at most 5 environmentIds", summary, tt.failed)
			}
			if tt.rollback && lines[0]["count"] != float64(99) {
				t.Errorf("rollback line = %v, want count 99", lines[0])
			}
		})
	}
}
