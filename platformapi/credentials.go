package platformapi

import "context"

// accountObject is the REST object of an account itself.
const accountObject = "Account"

// CheckCredentials asks the REST API whether it accepts acct's
// credentials, by reading the account's own Account object (GET
// Account/{accountId}): one small read that needs no other object's id.
// Inferred: any credentials that may act on the account may read it. It
// returns nil when the answer is a success, else the *Error, whose
// CredentialsRefused tells a 401 to Basic credentials from any other
// failure. Like every call, it waits for the account's rate budget and
// reaches the Observer.
func (c *Client) CheckCredentials(ctx context.Context, acct Account) error {
	path, err := idPath("GET", accountObject, acct.ID)
	if err != nil {
		return err
	}
	return c.do(ctx, acct, call{method: "GET", object: accountObject, path: path}, nil)
}
