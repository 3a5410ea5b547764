package resolver

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/ipack-gateway/ipack-gateway/errcode"
	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// DateTime is the DateTime scalar: a time as the vendor writes it,
// yyyy-MM-dd'T'HH:mm:ss'Z'. As input it takes any string; the resolver
// checks it, so that a bad value is a BAD_USER_INPUT naming the argument.
type DateTime struct{ s string }

// ImplementsGraphQLType binds DateTime to the scalar.
func (DateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }

// UnmarshalGraphQL takes a string.
func (d *DateTime) UnmarshalGraphQL(input any) (err error) {
	d.s, err = stringInput("DateTime", "a string such as 2023-01-31T15:32:00Z", input)
	return err
}

// MarshalJSON writes the time as REST gave it.
func (d DateTime) MarshalJSON() ([]byte, error) { return json.Marshal(d.s) }

// restTime is the vendor's time format.
const restTime = "2006-01-02T15:04:05Z"

// HistoryStatus is the ExecutionHistoryStatus scalar. It takes an enum
// value (ERROR, as the vendor's sample sends it) or a string ("ERROR", as
// its syntax does); GraphQL allows no type that accepts both but a scalar.
type HistoryStatus struct{ s string }

// ImplementsGraphQLType binds HistoryStatus to the scalar.
func (HistoryStatus) ImplementsGraphQLType(name string) bool { return name == "ExecutionHistoryStatus" }

// UnmarshalGraphQL takes an enum value or a string; graphql-go hands both
// over as a string.
func (h *HistoryStatus) UnmarshalGraphQL(input any) (err error) {
	h.s, err = stringInput("ExecutionHistoryStatus", "a status such as ERROR", input)
	return err
}

// stringInput reads a string-valued custom scalar; the resolver checks the
// value itself, so that a bad one is a BAD_USER_INPUT naming the argument.
func stringInput(scalar, want string, input any) (string, error) {
	s, ok := input.(string)
	if !ok {
		return "", fmt.Errorf("%s: want %s, got a %s", scalar, want, graphQLKind(input))
	}
	return s, nil
}

// graphQLKind names a literal's kind as GraphQL does, not as Go does.
func graphQLKind(v any) string {
	switch v.(type) {
	case bool:
		return "Boolean"
	case int32, int64, int:
		return "Int"
	case float64, float32:
		return "Float"
	case []any:
		return "list"
	case map[string]any:
		return "input object"
	case nil:
		return "null"
	}
	return "value"
}

// MarshalJSON writes the status.
func (h HistoryStatus) MarshalJSON() ([]byte, error) { return json.Marshal(h.s) }

// historyStatuses are the statuses executionHistory accepts: the
// documented ones and those REST adds.
var historyStatuses = []string{"ABORTED", "COMPLETE", "COMPLETE_WARN", "DISCARDED", "ERROR", "INPROCESS", "STARTED", "ABORTED_RECOVERING", "ENQUEUED"}

// HistoryInput is executionHistoryInput.
type HistoryInput struct {
	ProcessID     graphql.ID
	ExecutionTime DateTime
	Status        HistoryStatus
}

// ExecutionHistory lists the runs of one process (REST ExecutionRecord
// QUERY, paged to the end): processId EQUALS, status EQUALS, and
// executionTime GREATER_THAN_OR_EQUAL. Inferred: the vendor's sample asks
// for 2016-01-31 and answers a run of 2023-04-23, so the time is a lower
// bound ("show history since"), not a match; REST's order is kept.
func (q *Query) ExecutionHistory(ctx context.Context, args struct{ Input *HistoryInput }) (*[]*ExecutionRecord, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	in := args.Input
	if in == nil {
		return nil, errNullInput()
	}
	if e := checkID("input.processId", string(in.ProcessID)); e != nil {
		return nil, e
	}
	t, err := time.Parse(time.RFC3339, in.ExecutionTime.s)
	if err != nil {
		return nil, errcode.New(errcode.BadUserInput,
			fmt.Sprintf("input.executionTime %q is not a time such as 2023-01-31T15:32:00Z", truncate(in.ExecutionTime.s))).With("argument", "input.executionTime")
	}
	if !slices.Contains(historyStatuses, in.Status.s) {
		return nil, errcode.New(errcode.BadUserInput,
			fmt.Sprintf("input.status %q is not one of %s", truncate(in.Status.s), strings.Join(historyStatuses, ", "))).With("argument", "input.status")
	}
	f := platformapi.And(
		platformapi.Equals("processId", string(in.ProcessID)),
		platformapi.AtLeast("executionTime", t.UTC().Format(restTime)),
		platformapi.Equals("status", in.Status.s),
	)
	rows, err := q.r.platform.QueryExecutionRecords(call, acct, &f)
	if err != nil {
		return nil, fromPlatform(err)
	}
	out := make([]*ExecutionRecord, len(rows))
	for i := range rows {
		out[i] = &ExecutionRecord{rows[i]}
	}
	return &out, nil
}

// ExecutionRecord resolves ExecutionRecord.
type ExecutionRecord struct{ r platformapi.ExecutionRecord }

// ExecutionID is the run's id.
func (e *ExecutionRecord) ExecutionID() *string { return optional(e.r.ExecutionID) }

// OriginalExecutionID is the id of the run this one retried, or its own.
func (e *ExecutionRecord) OriginalExecutionID() *string { return optional(e.r.OriginalExecutionID) }

// Account is the account the run belongs to.
func (e *ExecutionRecord) Account() *string { return optional(e.r.Account) }

// ExecutionTime is when the run started.
func (e *ExecutionRecord) ExecutionTime() *DateTime {
	if e.r.ExecutionTime == "" {
		return nil
	}
	return &DateTime{e.r.ExecutionTime}
}

// Status is REST's status of the run.
func (e *ExecutionRecord) Status() *HistoryStatus {
	if e.r.Status == "" {
		return nil
	}
	return &HistoryStatus{s: e.r.Status}
}

// ExecutionType is how the run was started (exec_sched, exec_manual, …).
func (e *ExecutionRecord) ExecutionType() *string { return optional(e.r.ExecutionType) }

// ProcessName is the name of the process run.
func (e *ExecutionRecord) ProcessName() *string { return optional(e.r.ProcessName) }

// AtomName is the name of the Atom it ran on.
func (e *ExecutionRecord) AtomName() *string { return optional(e.r.AtomName) }

// AtomID is the id of the Atom it ran on.
func (e *ExecutionRecord) AtomID() *string { return optional(e.r.AtomID) }

// InboundDocumentCount is the number of documents in.
func (e *ExecutionRecord) InboundDocumentCount() *int32 { return int32Of(e.r.InboundDocumentCount) }

// InboundErrorDocumentCount is the number of documents in error.
func (e *ExecutionRecord) InboundErrorDocumentCount() *int32 {
	return int32Of(e.r.InboundErrorDocumentCount)
}

// OutboundDocumentCount is the number of documents out.
func (e *ExecutionRecord) OutboundDocumentCount() *int32 { return int32Of(e.r.OutboundDocumentCount) }

// ExecutionDuration is the run's duration in ms, as ["Long", "<n>"].
func (e *ExecutionRecord) ExecutionDuration() *[]*string { return longPair(e.r.ExecutionDuration) }

// InboundDocumentSize is the size of the documents in, as ["Long", "<n>"].
func (e *ExecutionRecord) InboundDocumentSize() *[]*string { return longPair(e.r.InboundDocumentSize) }

// OutboundDocumentSize is the size of the documents out, as ["Long", "<n>"].
func (e *ExecutionRecord) OutboundDocumentSize() *[]*string {
	return longPair(e.r.OutboundDocumentSize)
}

// Message is the run's error message, if any.
func (e *ExecutionRecord) Message() *string { return optional(e.r.Message) }

// longPair writes a REST long as the vendor's Spaces answers do:
// ["Long", "5816"]; null when REST had none.
func longPair(l platformapi.Long) *[]*string {
	if !l.Valid {
		return nil
	}
	typ, n := "Long", strconv.FormatInt(l.Value, 10)
	return &[]*string{&typ, &n}
}

// int32Of is a REST count as a GraphQL Int (32 bits), capped.
func int32Of(n *int64) *int32 {
	if n == nil {
		return nil
	}
	v := int32(min(max(*n, math.MinInt32), math.MaxInt32))
	return &v
}

// ExecuteInput is ProcessExecuteInput.
type ExecuteInput struct {
	AtomID    string
	ProcessID string
}

// ProcessExecute runs a process (REST ExecutionRequest CREATE) and answers
// REST's answer as a JSON string, as the vendor does. The CREATE is never
// sent twice once it may have been carried out (platformapi); then the
// error says the outcome is unknown, since a run cannot be told from
// another run of the same process.
func (m *Mutation) ProcessExecute(ctx context.Context, args struct{ Input *ExecuteInput }) (*string, error) {
	call, acct, err := account(ctx)
	if err != nil {
		return nil, err
	}
	in := args.Input
	if in == nil {
		return nil, errNullInput()
	}
	if e := checkID("input.atomId", in.AtomID); e != nil {
		return nil, e
	}
	if e := checkID("input.processId", in.ProcessID); e != nil {
		return nil, e
	}
	res, err := m.r.platform.ExecuteProcess(call, acct, in.AtomID, in.ProcessID)
	if err != nil {
		return nil, onceFailure(err, "the process may have been started: check executionHistory before running it again")
	}
	out := string(res.Raw)
	if out == "" {
		b, _ := json.Marshal(res) // a fake's answer, without the raw one
		out = string(b)
	}
	return &out, nil
}
