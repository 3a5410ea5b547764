package platformapi

import "context"

// accountObject is the REST Account object.
const accountObject = "Account"

// CheckCredentials reads the account's own Account object (REST GET
// Account/{accountId}) to learn whether acct's credentials are good, and
// returns nil when they are. It is the cheapest call there is: one small
// object, no query, nothing changed; and it is the one call every API
// user of an account may be expected to make (inferred: the vendor
// documents GET on Account, not which roles may make it). Credentials the
// API refuses come back as an *Error with StatusCode 401 (and
// CredentialsRefused when they were Basic credentials, the account's own).
// The call is paced and retried as any other of the account's, and
// reaches the Observer.
func (c *Client) CheckCredentials(ctx context.Context, acct Account) error {
	path, err := idPath("GET", accountObject, acct.ID)
	if err != nil {
		return err
	}
	return c.do(ctx, acct, call{method: "GET", object: accountObject, path: path}, nil)
}
