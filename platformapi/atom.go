package platformapi

import (
	"context"
	"net/url"
)

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

// GetAtom reads one Atom by id (REST GET).
func (c *Client) GetAtom(ctx context.Context, acct Account, id string) (Atom, error) {
	var out Atom
	err := c.do(ctx, acct, call{method: "GET", object: atomObject, path: atomObject + "/" + url.PathEscape(id)}, &out)
	return out, err
}

// GetAtoms reads the Atoms with the given ids by REST bulk GET, one call per
// BulkSize ids, and returns one item per id in order; an id REST could not
// read is an item whose StatusCode says why (see BulkResponse.OK).
func (c *Client) GetAtoms(ctx context.Context, acct Account, ids []string) ([]BulkResponse[Atom], error) {
	res, err := bulkGet[Atom](ctx, c, acct, atomObject, ids)
	if err != nil {
		return nil, err
	}
	return flatten(res), nil
}

// flatten joins the items of several bulk answers, renumbering Index to
// count from the first id of the first call.
func flatten[T any](res []BulkResult[T]) []BulkResponse[T] {
	var out []BulkResponse[T]
	for i, r := range res {
		for _, item := range r.Response {
			item.Index += i * BulkSize
			out = append(out, item)
		}
	}
	return out
}
