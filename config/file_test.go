package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// readFileCase is one path ReadFile is given, and what it must do.
type readFileCase struct {
	name, path string
	want       int   // bytes read
	err        error // errors.Is, or nil
}

func checkReadFile(t *testing.T, tests []readFileCase) {
	t.Helper()
	for _, tt := range tests {
		data, err := config.ReadFile(tt.path)
		switch {
		case tt.err == nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
		case len(data) != tt.want:
			t.Errorf("%s: read %d bytes, want %d", tt.name, len(data), tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "config: ") {
			t.Errorf("%s: error %q does not say it is about the config", tt.name, err)
		}
	}
}

// TestReadFileBound: ReadFile reads a file up to config.MaxFileBytes and
// refuses a larger one.
func TestReadFileBound(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("#", n)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	checkReadFile(t, []readFileCase{
		{"small", write("small.yaml", 100), 100, nil},
		{"at the bound", write("at.yaml", config.MaxFileBytes), config.MaxFileBytes, nil},
		{"a byte over", write("over.yaml", config.MaxFileBytes+1), 0, config.ErrFileTooLarge},
		{"twice over", write("far.yaml", 2*config.MaxFileBytes), 0, config.ErrFileTooLarge},
		{"missing", filepath.Join(dir, "missing.yaml"), 0, os.ErrNotExist},
	})
}
