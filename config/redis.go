package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ipack-gateway/ipack-gateway/ratelimit"
)

// Where the rate limits live (platform.rateLimit.store).
const (
	// StoreMemory keeps every limit in this process: one replica.
	StoreMemory = "memory"
	// StoreRedis keeps them in Redis, shared by every replica.
	StoreRedis = "redis"
)

// RedisConfig is the Redis that replicas share their limits through, with
// platform.rateLimit.store: redis. See ratelimit.Options.
type RedisConfig struct {
	// URL is redis://[user:password@]host:port/db or rediss:// (TLS).
	URL string `yaml:"url"`
	// Password is the Redis password, as is (no percent-encoding), when
	// the URL holds none: it can then come from ${ENV} without escaping.
	Password string `yaml:"password"`
	// Addrs replace the URL's host: Sentinels with masterName, else
	// Cluster seed nodes.
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"masterName"`
	Cluster    bool     `yaml:"cluster"`
	// KeyPrefix starts every key (after redis_rate's "rate:").
	KeyPrefix string `yaml:"keyPrefix"`
	// Timeout bounds each command; past it the replica falls back to its
	// local share until Redis answers again.
	Timeout       time.Duration `yaml:"timeout"`
	DialTimeout   time.Duration `yaml:"dialTimeout"`
	ProbeInterval time.Duration `yaml:"probeInterval"`
}

// String shows r with the URL's password redacted, so that printing a
// config never shows it.
func (r RedisConfig) String() string {
	u := "(not a URL)"
	if p, err := url.Parse(r.URL); err == nil {
		u = p.Redacted()
	} else if r.URL == "" {
		u = ""
	}
	pw := ""
	if r.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{url:%s password:%s addrs:%v masterName:%s cluster:%v keyPrefix:%s timeout:%s dialTimeout:%s probeInterval:%s}",
		u, pw, r.Addrs, r.MasterName, r.Cluster, r.KeyPrefix, r.Timeout, r.DialTimeout, r.ProbeInterval)
}

// GoString is String, for %#v.
func (r RedisConfig) GoString() string { return r.String() }

func (c *Config) validateStore() error {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
	rl := c.Platform.RateLimit
	if rl.Replicas < 1 || rl.Replicas > 1000 {
		return bad("platform.rateLimit.replicas", "must be between 1 and 1000, got %d", rl.Replicas)
	}
	r := c.Redis
	switch rl.Store {
	case StoreMemory:
		if rl.Replicas > 1 {
			// Each replica would pace itself to the whole budget.
			return bad("platform.rateLimit.replicas", "is %d, but the memory store gives each replica the whole budget: set platform.rateLimit.store: redis", rl.Replicas)
		}
		return nil
	case StoreRedis:
	default:
		return bad("platform.rateLimit.store", "want memory or redis, got %q", rl.Store)
	}
	if r.URL == "" {
		return bad("redis.url", "is required with platform.rateLimit.store: redis")
	}
	o, err := ratelimit.ParseURL(r.URL)
	if err != nil {
		return fmt.Errorf("config: %w", err) // names redis.url, shows no part of it
	}
	if r.Password != "" && o.Password != "" {
		return bad("redis.password", "the URL holds a password too; give it in one place")
	}
	for i, a := range r.Addrs {
		if strings.TrimSpace(a) == "" || !strings.Contains(a, ":") {
			return bad(fmt.Sprintf("redis.addrs[%d]", i), "want host:port, got %q", a)
		}
	}
	if r.MasterName != "" && len(r.Addrs) == 0 {
		return bad("redis.addrs", "the Sentinels' addresses are required with masterName")
	}
	if r.MasterName != "" && r.Cluster {
		return bad("redis.cluster", "Sentinel (masterName) and Cluster exclude each other")
	}
	// 0 is refused, not read as "the default": a key left out keeps
	// Default's value, which is ratelimit.DefaultOptions'.
	switch {
	case r.Timeout <= 0:
		return bad("redis.timeout", "must be positive, got %s", r.Timeout)
	case r.DialTimeout <= 0:
		return bad("redis.dialTimeout", "must be positive, got %s", r.DialTimeout)
	case r.ProbeInterval <= 0:
		return bad("redis.probeInterval", "must be positive, got %s", r.ProbeInterval)
	}
	return nil
}

// StoreOptions are the ratelimit.Options of c's redis section. Only values
// are set: the composition root adds the logger and the state callback.
func (c *Config) StoreOptions() ratelimit.Options {
	r := c.Redis
	return ratelimit.Options{
		URL:           r.URL,
		Password:      r.Password,
		Addrs:         r.Addrs,
		MasterName:    r.MasterName,
		Cluster:       r.Cluster,
		KeyPrefix:     r.KeyPrefix,
		Timeout:       r.Timeout,
		DialTimeout:   r.DialTimeout,
		ProbeInterval: r.ProbeInterval,
	}
}
