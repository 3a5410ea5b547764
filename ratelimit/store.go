package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Options configure a Store. Start from DefaultOptions: Open takes every
// value as given, and refuses a duration that is not positive.
type Options struct {
	// URL is the Redis server: redis://[user:password@]host:port/db, or
	// rediss:// for TLS, as go-redis parses it. Its password is never
	// logged nor put in an error.
	URL string
	// Password, when set, is the password of the URL's user (or of the
	// default user), written as is: unlike one in the URL it needs no
	// percent-encoding. The URL must then hold none.
	Password string
	// Addrs, when set, replace the URL's host: the Sentinels' addresses
	// with MasterName, else the Cluster's seed nodes. The URL still gives
	// the credentials, database and TLS.
	Addrs []string
	// MasterName is the Sentinel master's name: set, the store follows
	// Sentinel's failovers.
	MasterName string
	// Cluster makes the store a Redis Cluster client.
	Cluster bool
	// KeyPrefix starts every key the store writes, after redis_rate's own
	// "rate:"; replicas that share a budget must share the prefix. Empty,
	// the keys have none.
	KeyPrefix string
	// Timeout bounds each Redis command; past it the store is degraded.
	Timeout time.Duration
	// DialTimeout bounds opening a connection.
	DialTimeout time.Duration
	// ProbeInterval is how often a degraded store tries Redis again.
	ProbeInterval time.Duration
	// Logger gets one line when Redis stops answering and one when it
	// answers again. Default: discard.
	Logger *slog.Logger
	// OnChange, when set, is called with the new state each time the store
	// becomes degraded (true) or healthy again (false), for metrics. The
	// calls are never concurrent and come in the order of the changes, so
	// the last one is the store's state. It must be quick, and must not
	// call the store.
	OnChange func(degraded bool)
}

// The defaults of Options (see DefaultOptions).
const (
	DefaultKeyPrefix     = "ipack-gateway:"
	DefaultTimeout       = 100 * time.Millisecond
	DefaultDialTimeout   = time.Second
	DefaultProbeInterval = time.Second
)

// DefaultOptions are the options every store starts from: the defaults,
// without a URL.
func DefaultOptions() Options {
	return Options{
		KeyPrefix:     DefaultKeyPrefix,
		Timeout:       DefaultTimeout,
		DialTimeout:   DefaultDialTimeout,
		ProbeInterval: DefaultProbeInterval,
	}
}

// check refuses durations the store cannot use: a timeout of 0 fails every
// command at once, a probe interval of 0 never waits. dial says whether
// DialTimeout is used.
func (o Options) check(dial bool) error {
	bad := func(name string, d time.Duration) error {
		return fmt.Errorf("ratelimit: Options.%s must be positive, got %s (start from DefaultOptions)", name, d)
	}
	switch {
	case o.Timeout <= 0:
		return bad("Timeout", o.Timeout)
	case dial && o.DialTimeout <= 0:
		return bad("DialTimeout", o.DialTimeout)
	case o.ProbeInterval <= 0:
		return bad("ProbeInterval", o.ProbeInterval)
	}
	return nil
}

// Store holds limits in Redis and knows whether Redis is answering. It is
// safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	lim     *redis_rate.Limiter
	prefix  string
	timeout time.Duration
	every   time.Duration
	log     *slog.Logger
	notify  func(bool)

	// degraded is read without a lock on every limit taken; it changes
	// only under stateMu, together with the notify that reports it, so
	// that reports arrive in the order of the changes: a failure racing a
	// recovery cannot report "degraded" before the recovery reports
	// "healthy" and leave the gauge at 0 through an outage.
	degraded atomic.Bool
	stateMu  sync.Mutex
	// epoch counts the times the store became degraded, so that each
	// fallback starts afresh (empty) at every outage.
	epoch atomic.Uint64

	closeOnce sync.Once
	done      chan struct{}
	mu        sync.Mutex // orders starting a probe against Close
	closed    bool
	probes    sync.WaitGroup
}

// Open returns a store on the Redis that opts names. It does not connect:
// the first limit taken does, and a Redis that is down then only makes
// the store degraded.
func Open(opts Options) (*Store, error) {
	uo, err := universalOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := opts.check(true); err != nil {
		return nil, err
	}
	quietRedis.Do(func() { redis.SetLogger(discard{}) })
	return newStore(redis.NewUniversalClient(uo), opts), nil
}

// quietRedis silences go-redis's own logger, which is process-wide and
// writes plain lines to stderr: one per failed dial, every probe while
// Redis is down. The store logs the state change once, in the gateway's
// format, instead.
var quietRedis sync.Once

type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

// universalOptions translates opts into go-redis's.
func universalOptions(opts Options) (*redis.UniversalOptions, error) {
	o, err := ParseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.Password != "" {
		if o.Password != "" {
			return nil, errPasswordTwice
		}
		o.Password = opts.Password
	}
	timeout := opts.Timeout
	uo := &redis.UniversalOptions{
		Addrs:            []string{o.Addr},
		Username:         o.Username,
		Password:         o.Password,
		DB:               o.DB,
		TLSConfig:        o.TLSConfig,
		MasterName:       opts.MasterName,
		IsClusterMode:    opts.Cluster,
		SentinelUsername: o.Username,
		SentinelPassword: o.Password,
		DialTimeout:      opts.DialTimeout,
		ReadTimeout:      timeout,
		WriteTimeout:     timeout,
		// Every command carries a deadline of Timeout; the socket's must
		// follow it, or a stalled server holds a caller for longer.
		ContextTimeoutEnabled: true,
		// One retry replaces a connection that a restarted Redis closed;
		// more would only spend the deadline.
		MaxRetries:  1,
		PoolTimeout: timeout,
	}
	if len(opts.Addrs) > 0 {
		uo.Addrs = opts.Addrs
	}
	return uo, nil
}

// errPasswordTwice refuses a password given both in the URL and apart.
var errPasswordTwice = errors.New("redis.password: the password is in redis.url too; give it in one place")

// ParseURL parses a redis:// or rediss:// URL as go-redis does, with errors
// that never show any part of the URL: it may hold a password, and a
// password holding a character a URL reserves (/ ? # @ %) is split
// anywhere, so no part of the URL is safe to repeat. They say what kind of
// thing is wrong instead.
func ParseURL(raw string) (*redis.Options, error) {
	if misplacedCredentials(raw) {
		return nil, errors.New("redis.url: an @ after the host: a password (or user) holding /, ? or # must be percent-encoded, or the password given in redis.password")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return nil, fmt.Errorf("redis.url is not a URL (%s): want redis://[user:password@]host:port/db, with any %% / ? # @ in the password percent-encoded, or the password in redis.password", withoutQuoted(err.Error()))
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, errors.New("redis.url must start redis:// or rediss://")
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %s: want redis://[user:password@]host:port/db", goRedisReason(err))
	}
	return o, nil
}

// misplacedCredentials reports whether raw has an @ past its authority (in
// its path, query or fragment): credentials that a reserved character cut
// short, so that their rest would be taken for a path or a port.
func misplacedCredentials(raw string) bool {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return false
	}
	end := strings.IndexAny(rest, "/?#")
	return end >= 0 && strings.Contains(rest[end:], "@")
}

// quoted matches a Go-quoted string (%q) in an error message.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// withoutQuoted is msg without its quoted parts: net/url quotes the piece
// of the URL it stumbled on ("invalid port \":x\" after host").
func withoutQuoted(msg string) string {
	return strings.Join(strings.Fields(quoted.ReplaceAllString(msg, "")), " ")
}

// goRedisReason is the kind of error go-redis's ParseURL gave ("invalid
// database number"), without the part of the URL that follows it,
// quoted or not.
func goRedisReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "redis: ")
	msg, _, _ = strings.Cut(msg, ":")
	return withoutQuoted(msg)
}

// NewStore returns a store on rdb, which it closes on Close. Options.URL,
// Password, Addrs, MasterName, Cluster and DialTimeout are not used: rdb
// has them.
func NewStore(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if err := opts.check(false); err != nil {
		return nil, err
	}
	return newStore(rdb, opts), nil
}

func newStore(rdb redis.UniversalClient, opts Options) *Store {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		rdb:     rdb,
		lim:     redis_rate.NewLimiter(rdb),
		prefix:  opts.KeyPrefix,
		timeout: opts.Timeout,
		every:   opts.ProbeInterval,
		log:     log,
		notify:  opts.OnChange,
		done:    make(chan struct{}),
	}
}

// Close stops the probe and closes the Redis client.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		s.probes.Wait()
		err = s.rdb.Close()
	})
	return err
}

// Client returns the store's Redis client, for other records the replicas
// share through the same Redis (the gateway's idempotency keys). The store
// owns it: Close closes it.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Degraded reports whether Redis failed to answer and has not answered
// since: every limit is then local.
func (s *Store) Degraded() bool { return s.degraded.Load() }

// errDegraded is what a limit gets instead of asking a Redis known down.
var errDegraded = errors.New("ratelimit: the store is degraded")

// allow takes n events of limit from key's GCRA (n = 0 only reads it), in
// one round trip bounded by the store's timeout. An error means the
// caller must fall back: the store is degraded, or ctx ended (the
// caller's own doing: then ctx's error).
func (s *Store) allow(ctx context.Context, key string, limit redis_rate.Limit, n int) (*redis_rate.Result, error) {
	if s.degraded.Load() {
		return nil, errDegraded
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	res, err := s.lim.AllowN(cctx, s.prefix+key, limit, n)
	cancel()
	if err == nil {
		return res, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	s.fail(err)
	return nil, err
}

// fail makes the store degraded after err, logs it once and starts the
// probe that ends the state.
func (s *Store) fail(err error) {
	if !s.setDegraded(true) {
		return
	}
	s.log.LogAttrs(context.Background(), slog.LevelWarn,
		"rate limit store: Redis does not answer; each replica keeps to its local share of the limits until it does",
		slog.String("err", err.Error()))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // nothing to probe for
	}
	s.probes.Add(1)
	go s.probe()
}

// probe asks Redis every interval until it answers, then makes the store
// healthy again. It asks what the limits ask (the GCRA script, reading a
// key of its own), so a Redis that answers PING but not scripts is not
// taken for healthy.
func (s *Store) probe() {
	defer s.probes.Done()
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		_, err := s.lim.AllowN(ctx, s.prefix+"probe", redis_rate.PerSecond(1), 0)
		cancel()
		if err == nil {
			s.setDegraded(false)
			s.log.LogAttrs(context.Background(), slog.LevelInfo, "rate limit store: Redis answers again; the limits are shared again")
			return
		}
	}
}

// setDegraded changes the state to d and reports it to OnChange, as one
// step: reports are made in the order of the changes, so the last one is
// always the store's state. It returns false, reporting nothing, when the
// state is d already. A degraded state starts a new epoch.
func (s *Store) setDegraded(d bool) bool {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.degraded.Load() == d {
		return false
	}
	if d {
		s.epoch.Add(1)
	}
	s.degraded.Store(d)
	if s.notify != nil {
		s.notify(d)
	}
	return true
}

// gcraLimit expresses perSecond events with burst as redis_rate's limit,
// whose rate is a whole number per period.
func gcraLimit(perSecond float64, burst int) redis_rate.Limit {
	burst = max(burst, 1)
	if perSecond == math.Trunc(perSecond) && perSecond >= 1 {
		return redis_rate.Limit{Rate: int(perSecond), Burst: burst, Period: time.Second}
	}
	// A fraction per second: the same rate per 1,000 s, to a thousandth.
	return redis_rate.Limit{Rate: max(int(math.Round(perSecond*1000)), 1), Burst: burst, Period: 1000 * time.Second}
}

// interval is the time between two events of l.
func interval(l redis_rate.Limit) time.Duration {
	return l.Period / time.Duration(l.Rate)
}
