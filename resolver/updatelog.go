package resolver

import (
	"context"
	"log/slog"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// logUpdateFailures writes one warning for an extensionsUpdate or
// extendedMappersUpdate field in which any item's REST UPDATE failed,
// however many did, as logAttachFailures does for an attach: a warning per
// item made up to MaxUpdateItems lines of one request, and the warning
// throttle, per message, then dropped other requests' lines. It names how
// many items and how many failed, the count per code, how many of unknown
// outcome, the first few envExtensionIds (clipped: they are the client's),
// and the first failure's cause. causes[i] is item i's REST error, nil for
// an item that succeeded or was refused for its input (the client's
// doing, in its answer, not the operator's concern).
func (r *Resolver) logUpdateFailures(ctx context.Context, field string, items []*ExtensionInput, errs []*errcode.Error, causes []error) {
	var (
		failed, unknown int
		codes           map[string]int
		ids             []string
		first           error
	)
	for i, cause := range causes {
		if cause == nil {
			continue
		}
		failed++
		if codes == nil {
			codes, first = map[string]int{}, cause
		}
		codes[string(errs[i].Code)]++
		if errs[i].Fields["outcome"] == platformapi.OutcomeUnknown.String() {
			unknown++
		}
		if len(ids) < maxLoggedEnvironments {
			ids = append(ids, truncate(items[i].EnvExtensionID))
		}
	}
	if failed == 0 {
		return
	}
	r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, field+" failed",
		slog.Int("items", len(items)),
		slog.Int("failed", failed),
		slog.Any("codes", codes),
		slog.Int("outcomeUnknown", unknown),
		slog.Any("envExtensionIds", ids),
		slog.String("err", clip(first.Error(), maxLoggedError)))
}
