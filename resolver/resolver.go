// Package resolver implements the gateway's GraphQL schema
// (package schema) by calling the vendor's Platform REST API through a
// Platform, which *platformapi.Client satisfies: it checks the client's
// input before any REST call, fans an attach or an update out over bounded
// concurrent calls, settles calls of unknown outcome, and maps REST errors
// to the gateway's error codes (package errcode), per item where one item
// of a list failed.
//
// The caller (the HTTP layer) authenticates a request and puts the vendor
// account it acts for into the context with WithAccount; resolvers call REST
// for that account only. A field that answers a list item by item (attach,
// the extension updates) answers null for a failed item and reports its
// failure in the context made by WithItemErrors; the caller, who knows the
// document's aliases, adds each at the item's path (ItemError says which;
// itemerror.go says why graphql-go cannot).
//
//	r := resolver.New(client, resolver.DefaultOptions())
//	s, err := resolver.NewSchema(r, nil, graphql.MaxDepth(16))
//	ctx = resolver.WithItemErrors(resolver.WithAccount(ctx, acct))
//	resp := s.Exec(ctx, query, op, vars)
//	for _, ie := range resolver.ItemErrors(ctx) {
//		resp.Errors = append(resp.Errors, ie.QueryError(path...)) // path: see ItemError
//	}
package resolver

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// Platform is what the resolvers need of the Platform REST API.
type Platform interface {
	CreateAttachment(ctx context.Context, acct platformapi.Account, instanceID, environmentID string) (platformapi.Attachment, error)
	DeleteAttachment(ctx context.Context, acct platformapi.Account, id string) error
	QueryAttachments(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Attachment, error)

	InstallInstance(ctx context.Context, acct platformapi.Account, packID, overrideName string) (platformapi.Instance, error)
	UninstallInstance(ctx context.Context, acct platformapi.Account, id string) error
	GetInstance(ctx context.Context, acct platformapi.Account, id string) (platformapi.Instance, error)
	QueryInstances(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Instance, error)
	QueryEnvironments(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Environment, error)
	QueryIntegrationPacks(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.IntegrationPack, error)

	// The Spaces surface: Atoms, processes, environment extensions and
	// map extensions.
	QueryAtoms(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Atom, error)
	QueryEnvironmentAtomAttachments(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.EnvironmentAtomAttachment, error)
	QueryProcesses(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.Process, error)
	QueryEnvironmentExtensions(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.EnvironmentExtensions, error)
	UpdateEnvironmentExtensions(ctx context.Context, acct platformapi.Account, id string, body json.RawMessage) (json.RawMessage, error)
	QueryMapExtensionsSummaries(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.MapExtensionsSummary, error)
	GetMapExtensions(ctx context.Context, acct platformapi.Account, ids []string) ([]platformapi.BulkResult[json.RawMessage], error)
	UpdateMapExtension(ctx context.Context, acct platformapi.Account, id string, body json.RawMessage) (json.RawMessage, error)

	// The Spaces surface, part B: process schedules and runs.
	QueryProcessSchedules(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.ProcessSchedules, error)
	UpdateProcessSchedules(ctx context.Context, acct platformapi.Account, id string, body []byte) (platformapi.ProcessSchedules, error)
	QueryExecutionRecords(ctx context.Context, acct platformapi.Account, filter *platformapi.Expression) ([]platformapi.ExecutionRecord, error)
	ExecuteProcess(ctx context.Context, acct platformapi.Account, atomID, processID string) (platformapi.ExecutionRequest, error)

	// CheckCredentials makes the cheapest authenticated call there is, to
	// learn whether acct's credentials are good (see SpaceDirectory's
	// Unverified).
	CheckCredentials(ctx context.Context, acct platformapi.Account) error
}

// Options tune the resolvers. Start from DefaultOptions: New gives a zero
// AttachConcurrency, MaxEnvironments or SettleTimeout, or a nil Logger,
// DefaultOptions' value, but takes SettleDelay and Rollback as given,
// since their zero values mean something (no pause; report).
type Options struct {
	// AttachConcurrency bounds the REST calls one attach, or one
	// extensionsUpdate or extendedMappersUpdate field, runs at once.
	AttachConcurrency int
	// MaxEnvironments bounds the environmentIds of one attach.
	MaxEnvironments int
	// Logger receives resolver-level events. Default: discard.
	Logger *slog.Logger
	// SettleTimeout bounds the settling of calls of unknown outcome, beyond
	// the request's own deadline.
	SettleTimeout time.Duration
	// SettleDelay is the pause before the first settling query, so that an
	// attempt given up on but still in flight can land first; 0 asks at
	// once.
	SettleDelay time.Duration
	// Rollback makes attach all-or-nothing: when any environment fails,
	// the ones attached are detached again and all are reported failed.
	Rollback bool
	// Observer, when set, is told each attach's fan-out width.
	Observer Observer
	// Spaces answers spaces, Space and spaceAccounts; without it they fail.
	Spaces SpaceDirectory
}

// DefaultOptions are the resolvers' defaults, and the gateway
// configuration's (attach.*): 8 CREATE calls at once, at most 100
// environments an attach, 15 s to settle unknown outcomes after a pause
// of 200 ms, report partial failures.
func DefaultOptions() Options {
	return Options{
		AttachConcurrency: DefaultAttachConcurrency,
		MaxEnvironments:   DefaultMaxEnvironments,
		SettleTimeout:     DefaultSettleTimeout,
		SettleDelay:       DefaultSettleDelay,
	}
}

// Observer receives resolver events, for metrics.
type Observer interface {
	// FanOut reports the REST calls one attach fans out to.
	FanOut(width int)
}

// Defaults for Options (see DefaultOptions).
const (
	DefaultAttachConcurrency = 8
	DefaultMaxEnvironments   = 100
	DefaultSettleTimeout     = 15 * time.Second
	DefaultSettleDelay       = 200 * time.Millisecond
)

// Resolver is the root resolver.
type Resolver struct {
	platform Platform
	opts     Options
	verified *verifiedSet // credentials CheckCredentials accepted lately
}

// New returns a root resolver that calls p.
func New(p Platform, opts Options) *Resolver {
	if opts.AttachConcurrency <= 0 {
		opts.AttachConcurrency = DefaultAttachConcurrency
	}
	if opts.MaxEnvironments <= 0 {
		opts.MaxEnvironments = DefaultMaxEnvironments
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SettleTimeout <= 0 {
		opts.SettleTimeout = DefaultSettleTimeout
	}
	return &Resolver{platform: p, opts: opts, verified: newVerifiedSet()}
}

// Query returns the resolver of the Query type.
func (r *Resolver) Query() *Query { return &Query{r: r} }

// Mutation returns the resolver of the Mutation type.
func (r *Resolver) Mutation() *Mutation { return &Mutation{r: r} }

// Query resolves the fields of the Query type.
type Query struct{ r *Resolver }

// Mutation resolves the fields of the Mutation type.
type Mutation struct{ r *Resolver }

type callKey struct{}

// WithCallContext returns exec, the context to run a GraphQL request under,
// carrying call, the context its REST calls run under (the request's
// deadline, the client's disconnect, shutdown). Exec's own context should
// not end before the resolvers do: graphql-go drops all data of a request
// whose context ended, and every environment's outcome must reach the client.
func WithCallContext(exec, call context.Context) context.Context {
	return context.WithValue(exec, callKey{}, call)
}

// callContext returns the context for REST calls of the request of ctx.
func callContext(ctx context.Context) context.Context {
	if c, ok := ctx.Value(callKey{}).(context.Context); ok {
		return c
	}
	return ctx
}

type accountKey struct{}

// WithAccount returns a context whose GraphQL requests act on acct.
func WithAccount(ctx context.Context, acct platformapi.Account) context.Context {
	return context.WithValue(ctx, accountKey{}, acct)
}

// account returns the request's account and the context its REST calls
// must run under (see WithCallContext): resolvers get both from here, so
// none can call REST without the request's deadline by mistake. A missing
// account is a wiring bug, not a client error; the HTTP layer rejects
// unauthenticated requests earlier.
func account(ctx context.Context) (context.Context, platformapi.Account, error) {
	acct, ok := ctx.Value(accountKey{}).(platformapi.Account)
	if !ok {
		return nil, platformapi.Account{}, errcode.New(errcode.GenericSystemError, "Internal error: no account for this request")
	}
	return callContext(ctx), acct, nil
}
