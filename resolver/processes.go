package resolver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// IntegrationPackInstanceProcesses lists the processes of an instance
// (REST Process QUERY by integrationPackInstanceId). REST is called only
// for what is selected, and once for all rows, never per row:
//   - processSchedules: one ProcessSchedules QUERY for every process
//     (processId of each), after the processes are known;
//   - processSchedules.envId: one EnvironmentAtomAttachment QUERY for the
//     Atoms of those schedules.
//
// Inferred: the vendor lists ProcessScheduleStatus among the objects this
// query uses, but none of the documented fields reads it (there is no
// "enabled"), so it is not called.
func (q *Query) IntegrationPackInstanceProcesses(ctx context.Context, args struct{ IntegrationPackInstanceID *graphql.ID }) (*[]*Process, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	if args.IntegrationPackInstanceID == nil {
		return nil, errcode.New(errcode.BadUserInput, "integrationPackInstanceId is required").With("argument", "integrationPackInstanceId")
	}
	inst, err := ids.ParseInstance(string(*args.IntegrationPackInstanceID))
	if err != nil {
		return nil, errcode.New(errcode.InstanceIDInvalid,
			fmt.Sprintf("integrationPackInstanceId %q is not a valid integration pack instance id", truncate(string(*args.IntegrationPackInstanceID)))).
			With("argument", "integrationPackInstanceId")
	}
	f := platformapi.Equals("integrationPackInstanceId", inst)
	rows, err := q.r.platform.QueryProcesses(call, acct, &f)
	if err != nil {
		return nil, fromPlatform(err)
	}
	out := make([]*Process, 0, len(rows))
	for _, row := range rows {
		if row.ID == "" {
			return nil, malformed("process", fmt.Errorf("process without id: %+v", row))
		}
		out = append(out, &Process{p: row})
	}
	if !graphql.HasSelectedField(ctx, "processSchedules") || len(out) == 0 {
		return &out, nil
	}
	procIDs := make([]string, len(out))
	for i, p := range out {
		procIDs[i] = p.p.ID
	}
	scheds, err := queryByIDs(call, nil, "processId", procIDs, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.ProcessSchedules, error) {
		return q.r.platform.QueryProcessSchedules(ctx, acct, f)
	})
	if err != nil {
		return nil, fromPlatform(err)
	}
	first := make(map[string]*ProcessSchedules, len(scheds))
	var all []*ProcessSchedules
	for _, s := range scheds {
		if _, ok := first[s.ProcessID]; !ok {
			ps := &ProcessSchedules{s: s}
			first[s.ProcessID] = ps
			all = append(all, ps)
		}
	}
	if graphql.HasSelectedField(ctx, "processSchedules.envId") {
		if err := q.r.loadEnvIDs(call, acct, all); err != nil {
			return nil, err
		}
	}
	for _, p := range out {
		p.sched = first[p.p.ID]
	}
	return &out, nil
}

// loadEnvIDs gives each schedule the environment of its Atom: one REST
// EnvironmentAtomAttachment QUERY per MaxFilterIDs distinct Atoms of all of
// them. An Atom attached to no environment leaves envId null.
func (r *Resolver) loadEnvIDs(call context.Context, acct platformapi.Account, scheds []*ProcessSchedules) error {
	atoms := make([]string, len(scheds))
	for i, s := range scheds {
		atoms[i] = s.s.AtomID
	}
	atts, err := queryByIDs(call, nil, "atomId", atoms, func(ctx context.Context, f *platformapi.Expression) ([]platformapi.EnvironmentAtomAttachment, error) {
		return r.platform.QueryEnvironmentAtomAttachments(ctx, acct, f)
	})
	if err != nil {
		return fromPlatform(err)
	}
	env := make(map[string]string, len(atts))
	for _, a := range atts {
		if _, ok := env[a.AtomID]; !ok {
			env[a.AtomID] = a.EnvironmentID
		}
	}
	for _, s := range scheds {
		s.envID = env[s.s.AtomID]
	}
	return nil
}

// ProcessSchedulesUpdate replaces the schedules of one ProcessSchedules
// object (REST UPDATE, POST ProcessSchedules/{id}/update) with the object
// the client passes as a JSON string, sent on as given (compacted), and
// answers the object REST answers. When envId is selected, one
// EnvironmentAtomAttachment QUERY finds the Atom's environment.
func (m *Mutation) ProcessSchedulesUpdate(ctx context.Context, args struct {
	ProcessSchedules   string
	ProcessSchedulesID string
}) (*ProcessSchedules, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	id := args.ProcessSchedulesID
	if e := checkID("processSchedulesId", id); e != nil {
		return nil, e
	}
	var body bytes.Buffer
	if err := json.Compact(&body, []byte(args.ProcessSchedules)); err != nil || body.Len() == 0 || body.Bytes()[0] != '{' {
		return nil, errcode.New(errcode.BadUserInput,
			"processSchedules must be a ProcessSchedules object in JSON, e.g. {\"Schedule\":[…],\"Retry\":{\"Schedule\":[…],\"maxRetry\":3}}").
			With("argument", "processSchedules")
	}
	row, err := m.r.platform.UpdateProcessSchedules(call, acct, id, body.Bytes())
	if err != nil {
		return nil, fromPlatform(err)
	}
	ps := &ProcessSchedules{s: row}
	if graphql.HasSelectedField(ctx, "envId") {
		if err := m.r.loadEnvIDs(call, acct, []*ProcessSchedules{ps}); err != nil {
			// The update is done; say so rather than fail it.
			ps.envErr = err
		}
	}
	return ps, nil
}

// Process resolves Process.
type Process struct {
	p     platformapi.Process
	sched *ProcessSchedules // nil unless selected and found
}

// ID is the process id.
func (p *Process) ID() ID { return ID(p.p.ID) }

// Name is the process name.
func (p *Process) Name() *string { return optional(p.p.Name) }

// IntegrationPack lists the packs and instances the process was installed
// with.
func (p *Process) IntegrationPack() *[]*ProcessPack {
	out := make([]*ProcessPack, len(p.p.IntegrationPack))
	for i := range p.p.IntegrationPack {
		out[i] = &ProcessPack{p.p.IntegrationPack[i]}
	}
	return &out
}

// ProcessSchedules is the process's schedules, read by
// IntegrationPackInstanceProcesses.
func (p *Process) ProcessSchedules() *ProcessSchedules { return p.sched }

// ProcessPack resolves ProcessIntegrationPack.
type ProcessPack struct {
	p platformapi.ProcessIntegrationPack
}

// IntegrationPackID is the pack's id.
func (p *ProcessPack) IntegrationPackID() *ID { return optionalID(p.p.IntegrationPackID) }

// IntegrationPackInstanceID is the instance's opaque id.
func (p *ProcessPack) IntegrationPackInstanceID() *ID {
	return optionalID(p.p.IntegrationPackInstanceID)
}

// ProcessSchedules resolves ProcessSchedules.
type ProcessSchedules struct {
	s      platformapi.ProcessSchedules
	envID  string
	envErr error // reading envId failed (update only)
}

// ID is the object's opaque id.
func (s *ProcessSchedules) ID() *ID { return optionalID(s.s.ID) }

// ProcessID is the process's id.
func (s *ProcessSchedules) ProcessID() *ID { return optionalID(s.s.ProcessID) }

// AtomID is the Atom's id.
func (s *ProcessSchedules) AtomID() *ID { return optionalID(s.s.AtomID) }

// EnvID is the environment of the Atom, when selected and known.
func (s *ProcessSchedules) EnvID() (*ID, error) {
	if s.envErr != nil {
		return nil, s.envErr
	}
	return optionalID(s.envID), nil
}

// Schedule lists the run schedules.
func (s *ProcessSchedules) Schedule() *[]*Schedule { return schedules(s.s.Schedule) }

// AtomIdprocessIdschedule is Schedule under the name the vendor's sample
// selects (see the schema).
func (s *ProcessSchedules) AtomIdprocessIdschedule() *[]*Schedule { return s.Schedule() }

// Retry is the retry settings; null when REST has none.
func (s *ProcessSchedules) Retry() *Retry {
	if s.s.Retry == nil {
		return nil
	}
	return &Retry{*s.s.Retry}
}

func schedules(in []platformapi.Schedule) *[]*Schedule {
	out := make([]*Schedule, len(in))
	for i := range in {
		out[i] = &Schedule{in[i]}
	}
	return &out
}

// Schedule resolves Schedule.
type Schedule struct{ s platformapi.Schedule }

// Minutes of the schedule.
func (s *Schedule) Minutes() *string { return &s.s.Minutes }

// Hours of the schedule.
func (s *Schedule) Hours() *string { return &s.s.Hours }

// DaysOfWeek of the schedule.
func (s *Schedule) DaysOfWeek() *string { return &s.s.DaysOfWeek }

// DaysOfMonth of the schedule.
func (s *Schedule) DaysOfMonth() *string { return &s.s.DaysOfMonth }

// Months of the schedule.
func (s *Schedule) Months() *string { return &s.s.Months }

// Years of the schedule.
func (s *Schedule) Years() *string { return &s.s.Years }

// Retry resolves Retry.
type Retry struct{ r platformapi.ScheduleRetry }

// Schedule lists the retry schedules.
func (r *Retry) Schedule() *[]*Schedule { return schedules(r.r.Schedule) }

// MaxRetry is how often a failed document is retried at most (1 to 5).
func (r *Retry) MaxRetry() *int32 {
	n := int32(r.r.MaxRetry)
	return &n
}

// optionalID is nil for "", else the id.
func optionalID(s string) *ID {
	if s == "" {
		return nil
	}
	id := ID(s)
	return &id
}
