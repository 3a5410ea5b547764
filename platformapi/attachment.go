package platformapi

import "context"

// Attachment is the REST IntegrationPackEnvironmentAttachment object: one
// integration pack instance attached to one environment.
type Attachment struct {
	ID                        string `json:"id"`
	IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
	EnvironmentID             string `json:"environmentId"`
}

const attachmentObject = "IntegrationPackEnvironmentAttachment"

// CreateAttachment attaches an integration pack instance to one environment
// (REST CREATE; the vendor takes one environment per call).
func (c *Client) CreateAttachment(ctx context.Context, acct Account, instanceID, environmentID string) (Attachment, error) {
	body := marshal(struct {
		IntegrationPackInstanceID string `json:"integrationPackInstanceId"`
		EnvironmentID             string `json:"environmentId"`
	}{instanceID, environmentID})
	var out Attachment
	err := c.do(ctx, acct, call{method: "POST", object: attachmentObject, path: attachmentObject, body: body}, &out)
	return out, err
}

// DeleteAttachment detaches by REST attachment id (REST DELETE).
func (c *Client) DeleteAttachment(ctx context.Context, acct Account, id string) error {
	path, err := idPath("DELETE", attachmentObject, id)
	if err != nil {
		return err
	}
	return c.do(ctx, acct, call{method: "DELETE", object: attachmentObject, path: path}, nil)
}

// QueryAttachments returns every attachment that matches filter, following
// the vendor's paging to the end. A nil filter matches all.
func (c *Client) QueryAttachments(ctx context.Context, acct Account, filter *Expression) ([]Attachment, error) {
	return query[Attachment](ctx, c, acct, attachmentObject, filter)
}
