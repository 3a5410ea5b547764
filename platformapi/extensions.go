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

// QueryEnvironmentExtensions returns every EnvironmentExtensions object
// that matches filter (properties environmentId, extensionGroupId),
// following the vendor's paging to the end.
func (c *Client) QueryEnvironmentExtensions(ctx context.Context, acct Account, filter *Expression) ([]EnvironmentExtensions, error) {
	return query[EnvironmentExtensions](ctx, c, acct, envExtObject, filter)
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
	path, err := updatePath(object, id)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.do(ctx, acct, call{method: "POST", object: object, path: path, body: body}, &raw); err != nil {
		return nil, err
	}
	return compact(raw), nil
}

func compact(data []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, data) != nil {
		return append(json.RawMessage(nil), data...)
	}
	return b.Bytes()
}
