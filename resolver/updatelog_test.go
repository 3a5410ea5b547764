package resolver_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
	"github.com/ipack-gateway/ipack-gateway/resolver"
)

// TestUpdateLogLines: an extensionsUpdate of 100 items whose UPDATEs all
// fail logs one warning, not one per item (100 lines of one request, which
// the warning throttle then charged to everyone's warnings); the line
// counts the failures per code and names the first few ids, clipped. Items
// refused for their input are the client's mistake: no warning.
func TestUpdateLogLines(t *testing.T) {
	busy := &platformapi.Error{Method: "POST", StatusCode: http.StatusInternalServerError, Ambiguous: true}
	var input []string
	for i := range resolver.MaxUpdateItems {
		input = append(input, fmt.Sprintf(`{extensions: "{}", envExtensionId: "x%d%s"}`, i, strings.Repeat("y", 100)))
	}
	tests := []struct {
		name  string
		items string
		want  int // warning lines
	}{
		{"every UPDATE fails", "[" + strings.Join(input, ",") + "]", 1},
		{"only bad input", `[{extensions: "[]", envExtensionId: "x"}, null]`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			p := updateFake{fakePlatform: &fakePlatform{t: t}, update: func(string) (json.RawMessage, error) { return nil, busy }}
			opts := resolver.Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			_, items := runItems(t, p, opts, `mutation { extensionsUpdate(input: `+tt.items+`) }`)
			if len(items) == 0 {
				t.Fatal("no item failed")
			}
			lines := logs.warnings(t)
			if len(lines) != tt.want {
				t.Fatalf("%d warning lines, want %d: %v", len(lines), tt.want, lines)
			}
			if tt.want == 0 {
				return
			}
			l := lines[0]
			ids, _ := l["envExtensionIds"].([]any)
			codes, _ := l["codes"].(map[string]any)
			if l["msg"] != "extensionsUpdate failed" || l["items"] != float64(100) || l["failed"] != float64(100) ||
				l["outcomeUnknown"] != float64(100) || codes["PLATFORM_CALL_ERROR"] != float64(100) || len(ids) != 5 || len(ids[0].(string)) > 64+len("…") {
				t.Errorf("line = %v, want extensionsUpdate failed: 100 of 100, 100 PLATFORM_CALL_ERROR of unknown outcome, 5 clipped ids", l)
			}
		})
	}
}
