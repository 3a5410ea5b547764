package config_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/config"
)

// TestReadFileDevices: /dev/zero is refused at the bound (read whole, it
// would not return: it has no end), and a named pipe without a writer does
// not block ReadFile (it reads as empty, which Parse then refuses).
func TestReadFileDevices(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	checkReadFile(t, []readFileCase{
		{"/dev/zero", "/dev/zero", 0, config.ErrFileTooLarge},
		{"a pipe without a writer", fifo, 0, nil},
	})
}
