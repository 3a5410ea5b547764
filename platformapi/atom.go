package platformapi

import "context"

// Atom is the REST Atom object: a runtime (Atom, Molecule or Cloud) that
// runs processes. Only the fields the gateway uses are decoded.
type Atom struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Status is ONLINE, OFFLINE, …; Type is ATOM, MOLECULE or CLOUD.
	Status   string `json:"status,omitempty"`
	Type     string `json:"type,omitempty"`
	HostName string `json:"hostName,omitempty"`
}

const atomObject = "Atom"

// QueryAtoms returns every Atom that matches filter (properties name, id,
// hostname, status, type, capabilities; operators EQUALS, NOT_EQUALS,
// CONTAINS, NOT_CONTAINS), following the vendor's paging to the end. A nil
// filter matches all.
func (c *Client) QueryAtoms(ctx context.Context, acct Account, filter *Expression) ([]Atom, error) {
	return query[Atom](ctx, c, acct, atomObject, filter)
}
