package platformapi

import (
	"bytes"
	"context"
	"encoding/json"
)

// EnvironmentExtensions is the REST EnvironmentExtensions object: the
// connection, property and other overrides of one extension group (for a
// multi-install integration pack, one process of one instance) in one
// environment. The gateway passes it on as JSON, so Raw keeps it as REST
// sent it; the keys are decoded besides.
type EnvironmentExtensions struct {
	ID               string `json:"id"`
	EnvironmentID    string `json:"environmentId"`
	ExtensionGroupID string `json:"extensionGroupId"`
	// Raw is the object's JSON, compacted, members in REST's order.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the keys and keeps the whole object in Raw.
func (e *EnvironmentExtensions) UnmarshalJSON(data []byte) error {
	type keys EnvironmentExtensions
	if err := json.Unmarshal(data, (*keys)(e)); err != nil {
		return err
	}
	e.Raw = compact(data)
	return nil
}

const envExtObject = "EnvironmentExtensions"

// updateSuffix is the path after an object's id for UPDATE. The Spaces
// docs and the vendor's CLI scripts use {id}/update; the reference also
// documents {id} alone. Which one Spaces calls today is not documented.
const updateSuffix = "/update"

// QueryEnvironmentExtensions returns every EnvironmentExtensions object
// that matches filter (properties environmentId, extensionGroupId),
// following the vendor's paging to the end.
func (c *Client) QueryEnvironmentExtensions(ctx context.Context, acct Account, filter *Expression) ([]EnvironmentExtensions, error) {
	return query[EnvironmentExtensions](ctx, c, acct, envExtObject, filter)
}

// GetEnvironmentExtensions reads one EnvironmentExtensions object by id
// (REST GET). The id is "<environmentId>:<extensionGroupId>" in base64, or
// a plain environment id for an environment without extension groups.
func (c *Client) GetEnvironmentExtensions(ctx context.Context, acct Account, id string) (EnvironmentExtensions, error) {
	var out EnvironmentExtensions
	err := c.do(ctx, acct, call{method: "GET", object: envExtObject, path: envExtObject + "/" + pathID(id)}, &out)
	return out, err
}

// UpdateEnvironmentExtensions sends body, an EnvironmentExtensions object,
// as the REST UPDATE of object id and returns REST's answer, compacted. An
// UPDATE sets the object to what it is sent, so repeating it is harmless:
// it is retried like a read. Whether it is partial is up to body (its
// "partial" member).
func (c *Client) UpdateEnvironmentExtensions(ctx context.Context, acct Account, id string, body json.RawMessage) (json.RawMessage, error) {
	return c.update(ctx, acct, envExtObject, id, body)
}

// update performs the REST UPDATE of object id with body, answering REST's
// answer as raw JSON.
func (c *Client) update(ctx context.Context, acct Account, object, id string, body json.RawMessage) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.do(ctx, acct, call{method: "POST", object: object, path: object + "/" + pathID(id) + updateSuffix, body: body}, &raw)
	if err != nil {
		return nil, err
	}
	return compact(raw), nil
}

// pathID puts an id in a path segment. The vendor's ids are base64
// without padding or GUIDs, which need no escaping (and its client libraries
// send them as they are); anything else is escaped so it stays one segment.
func pathID(id string) string {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '=') {
			return escapeSegment(id)
		}
	}
	return id
}

func compact(data []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, data) != nil {
		return append(json.RawMessage(nil), data...)
	}
	return b.Bytes()
}
