package platformapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// AtLeast matches objects whose property is greater than or equal to arg
// (REST GREATER_THAN_OR_EQUAL; timestamps compare as times).
func AtLeast(property, arg string) Expression {
	return Expression{Operator: "GREATER_THAN_OR_EQUAL", Property: property, Argument: []string{arg}}
}

// Long is a REST long value. The vendor's OpenAPI types execution
// durations and document sizes as integers, while its example (and the
// Spaces answers built on it) carry them as a Java-typed pair
// ["Long", 5816]; Long reads both, and the pair with a quoted number.
type Long struct {
	Value int64
	Valid bool // false when REST left the value out or sent null
}

// UnmarshalJSON reads 5816, ["Long", 5816], ["Long", "5816"] or null.
func (l *Long) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = Long{}
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var pair []json.RawMessage
		if err := json.Unmarshal(b, &pair); err != nil {
			return err
		}
		if len(pair) != 2 {
			return fmt.Errorf("platformapi: a long pair has 2 items, got %d", len(pair))
		}
		b = bytes.Trim(bytes.TrimSpace(pair[1]), `"`)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("platformapi: not a long: %.40q", b)
	}
	*l = Long{Value: n, Valid: true}
	return nil
}

// MarshalJSON writes the vendor's pair, ["Long", 5816], or null.
func (l Long) MarshalJSON() ([]byte, error) {
	if !l.Valid {
		return []byte("null"), nil
	}
	return []byte(`["Long",` + strconv.FormatInt(l.Value, 10) + `]`), nil
}

// ExecutionRecord is the REST ExecutionRecord object: one run of a process.
type ExecutionRecord struct {
	ExecutionID               string `json:"executionId"`
	OriginalExecutionID       string `json:"originalExecutionId,omitempty"`
	Account                   string `json:"account,omitempty"`
	ExecutionTime             string `json:"executionTime"` // yyyy-MM-dd'T'HH:mm:ss'Z'
	Status                    string `json:"status"`
	ExecutionType             string `json:"executionType,omitempty"`
	ProcessName               string `json:"processName,omitempty"`
	ProcessID                 string `json:"processId,omitempty"`
	AtomName                  string `json:"atomName,omitempty"`
	AtomID                    string `json:"atomId,omitempty"`
	InboundDocumentCount      *int64 `json:"inboundDocumentCount,omitempty"`
	InboundErrorDocumentCount *int64 `json:"inboundErrorDocumentCount,omitempty"`
	OutboundDocumentCount     *int64 `json:"outboundDocumentCount,omitempty"`
	ExecutionDuration         Long   `json:"executionDuration"`
	InboundDocumentSize       Long   `json:"inboundDocumentSize"`
	OutboundDocumentSize      Long   `json:"outboundDocumentSize"`
	Message                   string `json:"message,omitempty"`
}

const (
	executionRecordObject  = "ExecutionRecord"
	executionRequestObject = "ExecutionRequest"
)

// QueryExecutionRecords returns every execution record that matches filter
// (properties include processId, executionTime, status, atomId), following
// the vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryExecutionRecords(ctx context.Context, acct Account, filter *Expression) ([]ExecutionRecord, error) {
	return query[ExecutionRecord](ctx, c, acct, executionRecordObject, filter)
}

// ExecutionRequest is the REST answer to an ExecutionRequest CREATE: the
// run was accepted; RecordURL polls its ExecutionRecord. Raw is the answer
// as REST sent it (compacted), which the Spaces API passes on as a string.
type ExecutionRequest struct {
	ProcessID string          `json:"processId"`
	AtomID    string          `json:"atomId"`
	RequestID string          `json:"requestId"`
	RecordURL string          `json:"recordUrl"`
	Raw       json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the raw answer besides its fields.
func (r *ExecutionRequest) UnmarshalJSON(b []byte) error {
	type fields ExecutionRequest // without this method
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*r = ExecutionRequest(f)
	r.Raw = buf.Bytes()
	return nil
}

// ExecuteProcess runs process processID on atom atomID (REST
// ExecutionRequest CREATE). Not idempotent: every CREATE that reaches the
// vendor runs the process once more, so a call that may have been carried
// out is never repeated; its failure comes back with Error.Ambiguous set.
//
// Inferred: the body holds only atomId and processId (what the Spaces
// documentation passes on); whether Spaces adds the empty property
// containers the OpenAPI schema marks required is not known.
func (c *Client) ExecuteProcess(ctx context.Context, acct Account, atomID, processID string) (ExecutionRequest, error) {
	body := marshal(struct {
		AtomID    string `json:"atomId"`
		ProcessID string `json:"processId"`
	}{atomID, processID})
	var out ExecutionRequest
	err := c.do(ctx, acct, call{method: "POST", object: executionRequestObject, path: executionRequestObject, body: body, once: true}, &out)
	return out, err
}
