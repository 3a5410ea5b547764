package platformapi

import "context"

// Process is the REST Process object. A process of an installed
// integration pack names its pack and instance in IntegrationPack; for a
// multi-install pack its id is synthetic, one per instance, and serves as
// the extensionGroupId of its environment extensions.
type Process struct {
	ID              string                   `json:"id"`
	Name            string                   `json:"name"`
	IntegrationPack []ProcessIntegrationPack `json:"IntegrationPack,omitempty"`
}

// ProcessIntegrationPack is the REST ProcessIntegrationPackInfo: the pack
// and instance a process was installed with.
type ProcessIntegrationPack struct {
	IntegrationPackID         string `json:"integrationPackId"`
	IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
}

const processObject = "Process"

// QueryProcesses returns every process that matches filter (properties
// name, id, integrationPackId, integrationPackInstanceId), following the
// vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryProcesses(ctx context.Context, acct Account, filter *Expression) ([]Process, error) {
	return query[Process](ctx, c, acct, processObject, filter)
}
