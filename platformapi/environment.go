package platformapi

import "context"

// Environment is the REST Environment object.
type Environment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Classification is PROD or TEST.
	Classification string `json:"classification"`
}

const environmentObject = "Environment"

// QueryEnvironments returns every environment that matches filter
// (properties id, name, classification), following the vendor's paging to
// the end. A nil filter matches all.
func (c *Client) QueryEnvironments(ctx context.Context, acct Account, filter *Expression) ([]Environment, error) {
	return query[Environment](ctx, c, acct, environmentObject, filter)
}
