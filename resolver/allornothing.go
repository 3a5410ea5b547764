package resolver

import (
	"context"
	"maps"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// An all-or-nothing attach (Options.Rollback) may undo only what it did
// itself: an environment that was attached before the request must stay
// attached whatever else fails. The vendor's CREATE answers the same for an
// attachment it made and for one that existed (attaching is idempotent), so
// the gateway asks first: one REST QUERY of the instance's attachments
// (paged; one call per 100 attachments of the instance) before any CREATE.
//
// What this guarantees: an environment attached when that query ran is
// never detached by this request, and is reported attached, with no CREATE
// sent for it. What it cannot: another client may attach one of the other
// environments between the query and a rollback; the gateway cannot tell
// that attachment from its own and would detach it. Nor can it stop another
// client from detaching an environment it reported attached. The window is
// the length of the fan-out.

// skipAttached learns which of the items to create (todo, indexes into
// items) are attached already, answers those as attached, and returns the
// rest. When the query fails, nothing is attempted: an attach that cannot
// tell its own attachments from earlier ones could not roll back without
// destroying them, so every item fails with the query's error, before any
// CREATE, and nil is returned.
func (r *Resolver) skipAttached(ctx context.Context, acct platformapi.Account, instanceID string, items []*Attachment, todo []int) []int {
	// The instance alone, not its environments: the filter does not depend
	// on how the vendor compares environment ids, which are compared here
	// without regard to case, as everywhere else.
	f := platformapi.Equals("integrationPackInstanceId", instanceID)
	atts, err := r.platform.QueryAttachments(ctx, acct, &f)
	if err != nil {
		e := fromPlatform(err)
		fields := e.Fields
		if fields["outcome"] == platformapi.OutcomeUnknown.String() {
			// The query's outcome, of no matter for a read; no CREATE
			// was sent.
			fields = maps.Clone(fields)
			delete(fields, "outcome")
		}
		for _, i := range todo {
			it := items[i]
			it.err = (&errcode.Error{
				Code:    e.Code,
				Message: "Not attempted: an all-or-nothing attach first reads which environments are attached already, and that failed: " + e.Message,
				Fields:  fields,
				Err:     err,
			}).With("environmentId", it.environmentID)
		}
		return nil
	}
	before := make(map[string]string, len(atts)) // lower-case environment id -> as REST spells it
	for _, a := range atts {
		if a.IntegrationPackInstanceID == instanceID {
			before[strings.ToLower(a.EnvironmentID)] = a.EnvironmentID
		}
	}
	rest := make([]int, 0, len(todo))
	for _, i := range todo {
		it := items[i]
		env, ok := before[strings.ToLower(it.environmentID)]
		if !ok {
			rest = append(rest, i)
			continue
		}
		it.id = ids.Attachment(instanceID, env)
		it.environmentID = env
		it.instanceID = instanceID
		it.preexisting = true
	}
	return rest
}
