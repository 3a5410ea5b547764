package platformapi

import "context"

// EnvironmentAtomAttachment is the REST EnvironmentAtomAttachment object:
// one Atom attached to one environment.
type EnvironmentAtomAttachment struct {
	ID            string `json:"id"`
	AtomID        string `json:"atomId"`
	EnvironmentID string `json:"environmentId"`
}

const envAtomObject = "EnvironmentAtomAttachment"

// QueryEnvironmentAtomAttachments returns every Atom attachment that
// matches filter (properties atomId, environmentId), following the
// vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryEnvironmentAtomAttachments(ctx context.Context, acct Account, filter *Expression) ([]EnvironmentAtomAttachment, error) {
	return query[EnvironmentAtomAttachment](ctx, c, acct, envAtomObject, filter)
}
