package platformapi

import "context"

// Instance is the REST IntegrationPackInstance object: one installation of
// an integration pack. ID is the opaque instance id (package ids).
type Instance struct {
	ID                          string `json:"id"`
	IntegrationPackID           string `json:"integrationPackId"`
	IntegrationPackOverrideName string `json:"integrationPackOverrideName,omitempty"`
}

const instanceObject = "IntegrationPackInstance"

// InstallInstance installs the integration pack packID (REST CREATE).
// overrideName, when not empty, names this instance of a multi-install pack.
func (c *Client) InstallInstance(ctx context.Context, acct Account, packID, overrideName string) (Instance, error) {
	body := marshal(struct {
		IntegrationPackID           string `json:"integrationPackId"`
		IntegrationPackOverrideName string `json:"integrationPackOverrideName,omitempty"`
	}{packID, overrideName})
	var out Instance
	// Not idempotent: a repeat of an install that may have happened could
	// install the pack twice. Failures that may have been carried out come
	// back with Error.Ambiguous set.
	err := c.do(ctx, acct, call{method: "POST", object: instanceObject, path: instanceObject, body: body, once: true}, &out)
	return out, err
}

// GetInstance reads one instance by its opaque id (REST GET).
func (c *Client) GetInstance(ctx context.Context, acct Account, id string) (Instance, error) {
	var out Instance
	path, err := idPath("GET", instanceObject, id)
	if err != nil {
		return out, err
	}
	err = c.do(ctx, acct, call{method: "GET", object: instanceObject, path: path}, &out)
	return out, err
}

// UninstallInstance removes the instance with the given opaque id (REST
// DELETE). The vendor drops the instance's attachments with it.
func (c *Client) UninstallInstance(ctx context.Context, acct Account, id string) error {
	path, err := idPath("DELETE", instanceObject, id)
	if err != nil {
		return err
	}
	return c.do(ctx, acct, call{method: "DELETE", object: instanceObject, path: path}, nil)
}

// QueryInstances returns every instance that matches filter (properties
// integrationPackId, integrationPackName, integrationPackOverrideName),
// following the vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryInstances(ctx context.Context, acct Account, filter *Expression) ([]Instance, error) {
	return query[Instance](ctx, c, acct, instanceObject, filter)
}
