package config

import (
	"fmt"
	"time"

	"github.com/ipack-gateway/ipack-gateway/idempotency"
)

// IdempotencyConfig configures Idempotency-Key on mutations
// (docs/idempotency.md). The records live where platform.rateLimit.store
// puts the limits: in this process, or in Redis, shared by the replicas.
type IdempotencyConfig struct {
	// Enabled honours the header; false runs every request as if it had
	// none.
	Enabled bool `yaml:"enabled"`
	// Retention is how long a response is kept for repeats after its
	// request answered.
	Retention time.Duration `yaml:"retention"`
	// MaxResponseBytes bounds a recorded response; a larger one is
	// recorded as an error saying it was carried out but not kept.
	MaxResponseBytes int `yaml:"maxResponseBytes"`
	// MaxEntries and MaxBytes bound the memory store: past either, the
	// oldest answered records go first. (Redis's own memory policy bounds
	// the Redis store.)
	MaxEntries int `yaml:"maxEntries"`
	MaxBytes   int `yaml:"maxBytes"`
}

// MaxRetention bounds idempotency.retention: a week of records is more
// than any client's retry needs.
const MaxRetention = 7 * 24 * time.Hour

func defaultIdempotency() IdempotencyConfig {
	return IdempotencyConfig{
		Enabled:          true,
		Retention:        idempotency.DefaultRetention,
		MaxResponseBytes: idempotency.DefaultMaxResponse,
		MaxEntries:       idempotency.DefaultMaxEntries,
		MaxBytes:         idempotency.DefaultMaxBytes,
	}
}

func (c *Config) validateIdempotency() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: idempotency.%s: %s", key, fmt.Sprintf(format, args...))
	}
	i := c.Idempotency
	switch {
	case i.Retention < time.Second || i.Retention > MaxRetention:
		return bad("retention", "must be between 1s and %s, got %s", MaxRetention, i.Retention)
	case i.MaxResponseBytes < 1<<10 || i.MaxResponseBytes > 64<<20:
		return bad("maxResponseBytes", "must be between 1024 and %d, got %d", 64<<20, i.MaxResponseBytes)
	case i.MaxEntries < 1:
		return bad("maxEntries", "must be at least 1, got %d", i.MaxEntries)
	case i.MaxBytes < i.MaxResponseBytes:
		return bad("maxBytes", "must be at least maxResponseBytes (%d), got %d", i.MaxResponseBytes, i.MaxBytes)
	}
	return nil
}
