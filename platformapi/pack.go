package platformapi

import "context"

// IntegrationPack is the REST IntegrationPack object.
type IntegrationPack struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// InstallationType is SINGLE or MULTI.
	InstallationType string `json:"installationType"`
}

const packObject = "IntegrationPack"

// QueryIntegrationPacks returns every integration pack that matches filter
// (properties id, name, installationType), following the vendor's paging to
// the end. A nil filter matches all.
func (c *Client) QueryIntegrationPacks(ctx context.Context, acct Account, filter *Expression) ([]IntegrationPack, error) {
	return query[IntegrationPack](ctx, c, acct, packObject, filter)
}
