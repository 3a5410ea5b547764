package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// MaxFileBytes bounds a configuration file. A real one is a few KiB; the
// bound is there for a path that leads somewhere else: /dev/zero, a log,
// a disk image, read whole (and kept whole) before this bound was put on
// it.
const MaxFileBytes = 1 << 20

// fileReadTimeout bounds reading a configuration file that can block (a
// named pipe whose writer sends nothing), so that a reload stuck on it
// cannot keep every later reload from running.
const fileReadTimeout = 5 * time.Second

// ErrFileTooLarge is wrapped by ReadFile's error for a file of more than
// MaxFileBytes.
var ErrFileTooLarge = errors.New("larger than 1 MiB")

// ReadFile reads the configuration file at path for Parse, at start and on
// each reload. It reads at most MaxFileBytes and one byte more, and
// refuses a file that has that byte. It opens without blocking on a
// named pipe that has no writer (on Unix; reading one then finds it
// empty), and gives up on a read that waits fileReadTimeout (on files the
// runtime can poll: pipes, not disks).
func ReadFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	_ = f.SetReadDeadline(time.Now().Add(fileReadTimeout)) // os.ErrNoDeadline for a disk file: it does not block
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("config: %s: %w (read no further than %d bytes)", path, ErrFileTooLarge, MaxFileBytes+1)
	}
	return data, nil
}
