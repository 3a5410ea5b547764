package platformapi

import (
	"context"
	"encoding/json"
)

// MapExtensionsSummary is the REST EnvironmentMapExtensionsSummary object:
// what identifies one extensible map of one extension group in one
// environment. ID is the id of its EnvironmentMapExtension.
type MapExtensionsSummary struct {
	ID               string `json:"id"`
	MapID            string `json:"mapId"`
	Name             string `json:"name"`
	ProcessID        string `json:"processId"`
	EnvironmentID    string `json:"environmentId"`
	ExtensionGroupID string `json:"extensionGroupId"`
}

const (
	mapSummaryObject   = "EnvironmentMapExtensionsSummary"
	mapExtensionObject = "EnvironmentMapExtension"
)

// QueryMapExtensionsSummaries returns every EnvironmentMapExtensionsSummary
// that matches filter (properties environmentId, extensionGroupId),
// following the vendor's paging to the end.
func (c *Client) QueryMapExtensionsSummaries(ctx context.Context, acct Account, filter *Expression) ([]MapExtensionsSummary, error) {
	return query[MapExtensionsSummary](ctx, c, acct, mapSummaryObject, filter)
}

// GetMapExtensions reads EnvironmentMapExtension objects by REST bulk GET,
// BulkSize ids per call, and returns each call's answer; the objects stay
// raw JSON (BulkResult.Raw is the whole answer as REST sent it).
func (c *Client) GetMapExtensions(ctx context.Context, acct Account, ids []string) ([]BulkResult[json.RawMessage], error) {
	return bulkGet[json.RawMessage](ctx, c, acct, mapExtensionObject, ids)
}

// UpdateMapExtension sends body, an EnvironmentMapExtension object, as the
// REST UPDATE of object id and returns REST's answer, compacted. Retried
// like a read, as UpdateEnvironmentExtensions.
func (c *Client) UpdateMapExtension(ctx context.Context, acct Account, id string, body json.RawMessage) (json.RawMessage, error) {
	return c.update(ctx, acct, mapExtensionObject, id, body)
}
