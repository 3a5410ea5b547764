package simulator

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// The REST objects of process schedules and runs: ProcessSchedules
// (QUERY, UPDATE), ProcessScheduleStatus (QUERY), ExecutionRecord (QUERY)
// and ExecutionRequest (CREATE).
const (
	processSchedulesObject      = "ProcessSchedules"
	processScheduleStatusObject = "ProcessScheduleStatus"
	executionRecordObject       = "ExecutionRecord"
	executionRequestObject      = "ExecutionRequest"
)

// Schedule is a REST Schedule: one run schedule, in cron-like fields.
type Schedule struct {
	Minutes     string `json:"minutes"`
	Hours       string `json:"hours"`
	DaysOfWeek  string `json:"daysOfWeek"`
	DaysOfMonth string `json:"daysOfMonth"`
	Months      string `json:"months"`
	Years       string `json:"years"`
}

// ScheduleRetry is the Retry member of ProcessSchedules.
type ScheduleRetry struct {
	Schedule []Schedule `json:"Schedule"`
	MaxRetry int        `json:"maxRetry"`
}

// ProcessSchedules is a REST ProcessSchedules object.
type ProcessSchedules struct {
	Schedule  []Schedule     `json:"Schedule"`
	Retry     *ScheduleRetry `json:"Retry,omitempty"`
	ProcessID string         `json:"processId"`
	AtomID    string         `json:"atomId"`
	ID        string         `json:"id"`
}

// ProcessScheduleStatus is a REST ProcessScheduleStatus object.
type ProcessScheduleStatus struct {
	ProcessID string `json:"processId"`
	AtomID    string `json:"atomId"`
	Enabled   bool   `json:"enabled"`
	ID        string `json:"id"`
}

// Long is a REST long as the vendor's example writes it: ["Long", 5816].
type Long int64

// MarshalJSON writes the vendor's pair.
func (l Long) MarshalJSON() ([]byte, error) {
	return []byte(`["Long",` + strconv.FormatInt(int64(l), 10) + `]`), nil
}

// ExecutionRecord is a REST ExecutionRecord object: one run of a process.
type ExecutionRecord struct {
	ExecutionID               string `json:"executionId"`
	OriginalExecutionID       string `json:"originalExecutionId"`
	Account                   string `json:"account"`
	ExecutionTime             string `json:"executionTime"` // yyyy-MM-dd'T'HH:mm:ss'Z'
	Status                    string `json:"status"`
	ExecutionType             string `json:"executionType"`
	ProcessName               string `json:"processName"`
	ProcessID                 string `json:"processId"`
	AtomName                  string `json:"atomName"`
	AtomID                    string `json:"atomId"`
	InboundDocumentCount      int64  `json:"inboundDocumentCount"`
	InboundErrorDocumentCount int64  `json:"inboundErrorDocumentCount"`
	OutboundDocumentCount     int64  `json:"outboundDocumentCount"`
	ExecutionDuration         Long   `json:"executionDuration"`
	InboundDocumentSize       Long   `json:"inboundDocumentSize"`
	OutboundDocumentSize      Long   `json:"outboundDocumentSize"`
	Message                   string `json:"message,omitempty"`
}

// ExecutionRequest is a REST ExecutionRequest, as a CREATE answers it.
type ExecutionRequest struct {
	ProcessID string `json:"processId"`
	AtomID    string `json:"atomId"`
	RequestID string `json:"requestId"`
	RecordURL string `json:"recordUrl"`
}

// recordURLBase is where the vendor's answers point for a run's record
// (its documented sample names this host, not the REST API's).
const recordURLBase = "https://platform.boomi.com/api/rest/v1/"

// runs holds an account's schedules and runs.
type runs struct {
	schedules  []ProcessSchedules
	statuses   []ProcessScheduleStatus
	records    []ExecutionRecord
	executions []ExecutionRequest
	requestIDs []string // the next CREATEs' request ids, then generated ones
	nextRun    int
}

// ScheduleID is the id the vendor gives the ProcessSchedules (and, as far
// as is known, the ProcessScheduleStatus) of processID on atomID:
// unpadded base64 of "CPS<atomId>:<processId>", as every documented one.
func ScheduleID(atomID, processID string) string {
	return base64.RawStdEncoding.EncodeToString([]byte("CPS" + atomID + ":" + processID))
}

// AddProcessSchedules sets the schedules of processID on atomID in account
// id, with their status (enabled), and returns the schedules' id.
func (s *Server) AddProcessSchedules(id, atomID, processID string, schedules []Schedule, retry *ScheduleRetry) string {
	sid := ScheduleID(atomID, processID)
	s.withAccount(id, func(a *account) {
		if schedules == nil {
			schedules = []Schedule{}
		}
		a.runs.schedules = append(a.runs.schedules, ProcessSchedules{ID: sid, ProcessID: processID, AtomID: atomID, Schedule: schedules, Retry: retry})
		a.runs.statuses = append(a.runs.statuses, ProcessScheduleStatus{ID: sid, ProcessID: processID, AtomID: atomID, Enabled: true})
	})
	return sid
}

// ProcessSchedulesOf returns the schedules with the given id, as stored.
func (s *Server) ProcessSchedulesOf(id, schedulesID string) (ProcessSchedules, bool) {
	var out ProcessSchedules
	var ok bool
	s.withAccount(id, func(a *account) {
		if i := a.findSchedules(schedulesID); i >= 0 {
			out, ok = a.runs.schedules[i], true
		}
	})
	return out, ok
}

// AddExecutionRecord adds the record of a run to account id.
func (s *Server) AddExecutionRecord(id string, r ExecutionRecord) {
	s.withAccount(id, func(a *account) { a.runs.records = append(a.runs.records, r) })
}

// QueueRequestIDs makes the next ExecutionRequest CREATEs of account id
// answer these request ids, in order (demo mode replays a documented one).
func (s *Server) QueueRequestIDs(id string, requestIDs ...string) {
	s.withAccount(id, func(a *account) { a.runs.requestIDs = append(a.runs.requestIDs, requestIDs...) })
}

// Executions returns the runs account id was asked for (ExecutionRequest
// CREATEs carried out), in order: what a test counts to prove a run was
// never requested twice.
func (s *Server) Executions(id string) []ExecutionRequest {
	var out []ExecutionRequest
	s.withAccount(id, func(a *account) { out = slices.Clone(a.runs.executions) })
	return out
}

func (a *account) findSchedules(id string) int {
	return slices.IndexFunc(a.runs.schedules, func(x ProcessSchedules) bool { return x.ID == id })
}

// routesRuns adds the objects' routes. Both UPDATE forms are served: the
// OpenAPI's POST /{Object}/{id} and the documented POST /{Object}/{id}/update.
func (s *Server) routesRuns(r chi.Router) {
	r.Post("/"+processSchedulesObject+"/{id}", s.updateProcessSchedules)
	r.Post("/"+processSchedulesObject+"/{id}/update", s.updateProcessSchedules)
	r.Post("/"+executionRequestObject, s.createExecutionRequest)
}

func (s *Server) updateProcessSchedules(w http.ResponseWriter, r *http.Request) {
	var in ProcessSchedules
	s.serveAccount(w, r, func(a *account) {
		if !decodeJSON(w, r, &in) {
			return
		}
		id := chi.URLParam(r, "id")
		i := a.findSchedules(id)
		if i < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("ProcessSchedules %s does not exist.", id))
			return
		}
		// maxRetry is 1 to 5 (the OpenAPI's ProcessSchedules, [OAS] in
		// ../shared/notes/spaces-surface.md, section 1).
		if in.Retry != nil && (in.Retry.MaxRetry < 1 || in.Retry.MaxRetry > 5) {
			writeError(w, http.StatusBadRequest, "maxRetry must be between 1 and 5.")
			return
		}
		// Inferred: the path names the object; processId and atomId are part
		// of its id and stay. The vendor "clears and updates" the schedules.
		cur := &a.runs.schedules[i]
		cur.Schedule = in.Schedule
		if cur.Schedule == nil {
			cur.Schedule = []Schedule{}
		}
		cur.Retry = in.Retry
		writeJSON(w, http.StatusOK, typed(processSchedulesObject, *cur))
	})
}

func (s *Server) createExecutionRequest(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AtomID    string `json:"atomId"`
		ProcessID string `json:"processId"`
	}
	s.serveAccount(w, r, func(a *account) {
		if !decodeJSON(w, r, &in) {
			return
		}
		if in.AtomID == "" || in.ProcessID == "" {
			writeError(w, http.StatusBadRequest, "atomId and processId are required.")
			return
		}
		// The OpenAPI's ExecutionRequest CREATE "returns an error when the
		// client ... Supplies an invalid Runtime ID ... Supplies an invalid
		// Process ID" ([OAS] in ../shared/notes/spaces-surface.md); the 400
		// and its "X does not exist" text are REST's for bad input
		// (../shared/notes/platform-api.md, "Status codes").
		if _, ok := a.find(atomObject, in.AtomID); !ok {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Atom %s does not exist.", in.AtomID))
			return
		}
		if _, ok := a.find(processObject, in.ProcessID); !ok {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Process %s does not exist.", in.ProcessID))
			return
		}
		a.runs.nextRun++
		var reqID string
		if len(a.runs.requestIDs) > 0 {
			reqID, a.runs.requestIDs = a.runs.requestIDs[0], a.runs.requestIDs[1:]
		} else {
			reqID = fmt.Sprintf("executionrecord-00000000-0000-4000-8000-%012d", a.runs.nextRun)
		}
		er := ExecutionRequest{ProcessID: in.ProcessID, AtomID: in.AtomID, RequestID: reqID,
			RecordURL: recordURLBase + a.id + "/" + executionRecordObject + "/async/" + reqID}
		a.runs.executions = append(a.runs.executions, er)
		// The run starts: its record shows up in queries, in process.
		now := time.Now().UTC()
		execID := fmt.Sprintf("execution-00000000-0000-4000-8000-%012d-%s", a.runs.nextRun, now.Format("2006.01.02"))
		a.runs.records = append(a.runs.records, ExecutionRecord{
			ExecutionID: execID, OriginalExecutionID: execID, Account: a.id,
			ExecutionTime: now.Format("2006-01-02T15:04:05Z"), Status: "INPROCESS", ExecutionType: "exec_manual",
			ProcessID: in.ProcessID, AtomID: in.AtomID,
		})
		writeJSON(w, http.StatusOK, typed(executionRequestObject, er))
	})
}
