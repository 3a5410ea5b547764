package platformapi

import "context"

// Schedule is one run schedule of a process, in the vendor's cron-like
// fields (REST Schedule): each is a list or range such as "0-59/15", "*".
type Schedule struct {
	Minutes     string `json:"minutes"`
	Hours       string `json:"hours"`
	DaysOfWeek  string `json:"daysOfWeek"`
	DaysOfMonth string `json:"daysOfMonth"`
	Months      string `json:"months"`
	Years       string `json:"years"`
}

// ScheduleRetry is the retry part of ProcessSchedules: the schedules on
// which failed documents are retried, and how often at most (1 to 5).
type ScheduleRetry struct {
	Schedule []Schedule `json:"Schedule"`
	MaxRetry int        `json:"maxRetry"`
}

// ProcessSchedules is the REST ProcessSchedules object: the run schedules of
// one process on one atom. Its ID is opaque (every documented one is
// base64 of "CPS<atomId>:<processId>"); take it from a query, never build it.
type ProcessSchedules struct {
	ID        string         `json:"id"`
	ProcessID string         `json:"processId"`
	AtomID    string         `json:"atomId"`
	Schedule  []Schedule     `json:"Schedule"`
	Retry     *ScheduleRetry `json:"Retry,omitempty"`
}

const processSchedulesObject = "ProcessSchedules"

// QueryProcessSchedules returns every ProcessSchedules object that matches
// filter (properties processId, atomId), following the vendor's paging to
// the end. A nil filter matches all.
func (c *Client) QueryProcessSchedules(ctx context.Context, acct Account, filter *Expression) ([]ProcessSchedules, error) {
	return query[ProcessSchedules](ctx, c, acct, processSchedulesObject, filter)
}

// UpdateProcessSchedules replaces the schedules of the ProcessSchedules
// object id with body (REST UPDATE; the vendor clears the schedules and
// sets those given) and returns the object as REST answers it. body is the
// object's JSON as the client gave it. An UPDATE is idempotent: it is
// retried like a query.
func (c *Client) UpdateProcessSchedules(ctx context.Context, acct Account, id string, body []byte) (ProcessSchedules, error) {
	var out ProcessSchedules
	path, err := updatePath(processSchedulesObject, id)
	if err != nil {
		return out, err
	}
	err = c.do(ctx, acct, call{method: "POST", object: processSchedulesObject, path: path, body: body}, &out)
	return out, err
}
