package resolver

import (
	"context"
	"log/slog"
	"slices"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// An attach of 100 environments against an upstream that is down, or for a
// client that has left, fails 100 times over; a warning per environment
// (and per REST attempt, see platformapi) made hundreds of lines of one
// request. The fan-out logs per environment at debug level only, and one
// summary line per request.

const (
	// maxLoggedEnvironments bounds the environmentIds one line names.
	maxLoggedEnvironments = 5
	// maxLoggedError bounds an error's text in a line: it may carry the
	// vendor's message, whose length the gateway does not control.
	maxLoggedError = 300
)

// logAttachFailures writes one warning for an attach in which any
// environment failed, whatever the number: how many environments and how
// many failed, the count per code, of unknown outcome and rolled back, the
// first few failed environmentIds (clipped: they are the client's), and the
// first failure's cause.
func (r *Resolver) logAttachFailures(ctx context.Context, items []*Attachment) {
	if !slices.ContainsFunc(items, func(a *Attachment) bool { return a.err != nil }) {
		return // the common case costs no allocation
	}
	seen := make(map[*Attachment]bool, len(items)) // duplicates share an item
	var (
		failed, unknown, rolledBack int
		codes                       map[string]int
		envs                        []string
		first                       error
	)
	for _, it := range items {
		if seen[it] {
			continue
		}
		seen[it] = true
		if it.err == nil {
			continue
		}
		failed++
		if codes == nil {
			codes = map[string]int{}
		}
		codes[string(it.err.Code)]++
		if it.err.Fields["outcome"] == platformapi.OutcomeUnknown.String() {
			unknown++
		}
		if it.err.Fields["rolledBack"] == true {
			rolledBack++
		}
		if len(envs) < maxLoggedEnvironments {
			env, _ := it.err.Fields["environmentId"].(string)
			envs = append(envs, truncate(env))
		}
		if first == nil {
			first = it.err.Err
			if first == nil {
				first = it.err
			}
		}
	}
	if failed == 0 {
		return
	}
	r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "attach failed",
		slog.Int("environments", len(seen)),
		slog.Int("failed", failed),
		slog.Any("codes", codes),
		slog.Int("outcomeUnknown", unknown),
		slog.Int("rolledBack", rolledBack),
		slog.Any("environmentIds", envs),
		slog.String("err", errcode.Clip(first.Error(), maxLoggedError)))
}

// warnUnknown logs the one warning of a single unattach or uninstall whose
// outcome stayed unknown (settleDelete logs at debug level, since a
// rollback settles one per environment), and returns e.
func (r *Resolver) warnUnknown(ctx context.Context, op string, e *errcode.Error) *errcode.Error {
	if e.Fields["outcome"] == platformapi.OutcomeUnknown.String() {
		var cause error = e
		if e.Err != nil {
			cause = e.Err
		}
		r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, op+" outcome unknown", slog.String("err", errcode.Clip(cause.Error(), maxLoggedError)))
	}
	return e
}
