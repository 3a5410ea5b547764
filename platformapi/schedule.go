package platformapi

import (
	"context"
	"net/url"
)

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

// ProcessScheduleStatus is the REST ProcessScheduleStatus object: whether
// the schedules of one process on one atom are enabled.
type ProcessScheduleStatus struct {
	ID        string `json:"id"`
	ProcessID string `json:"processId"`
	AtomID    string `json:"atomId"`
	Enabled   bool   `json:"enabled"`
}

const (
	processSchedulesObject      = "ProcessSchedules"
	processScheduleStatusObject = "ProcessScheduleStatus"
)

// updatePath is the path of an UPDATE of object id. The vendor's OpenAPI
// gives POST /{Object}/{id}; the Spaces documentation and the vendor's own
// CI scripts use POST /{Object}/{id}/update. Inferred: both are served; the
// gateway sends the form the Spaces documentation names, changed here only.
func updatePath(object, id string) string {
	return object + "/" + url.PathEscape(id) + "/update"
}

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
	err := c.do(ctx, acct, call{method: "POST", object: processSchedulesObject, path: updatePath(processSchedulesObject, id), body: body}, &out)
	return out, err
}

// QueryProcessScheduleStatus returns every ProcessScheduleStatus object
// that matches filter (properties processId, atomId), following the
// vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryProcessScheduleStatus(ctx context.Context, acct Account, filter *Expression) ([]ProcessScheduleStatus, error) {
	return query[ProcessScheduleStatus](ctx, c, acct, processScheduleStatusObject, filter)
}
