package platformapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// BulkSize is the most ids one REST bulk GET takes.
const BulkSize = 100

// BulkResponse is one item of a REST bulk GET answer: the object read for
// the id at Index of the request, or, when StatusCode is not 200, the
// vendor's ErrorMessage for it.
type BulkResponse[T any] struct {
	Index        int    `json:"index"`
	ID           string `json:"id"`
	StatusCode   int    `json:"statusCode"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	Result       T      `json:"Result"`
}

// OK reports whether the item was read.
func (r BulkResponse[T]) OK() bool { return r.StatusCode >= 200 && r.StatusCode <= 299 }

// BulkResult is the answer of one REST bulk GET call (at most BulkSize
// ids). Raw is the answer as REST sent it, for callers that pass it on
// verbatim (the Spaces API serialises it into a string).
type BulkResult[T any] struct {
	Response []BulkResponse[T] `json:"response"`
	Raw      json.RawMessage   `json:"-"`
}

// bulkRequest is the body of a REST bulk GET.
type bulkRequest struct {
	Type    string      `json:"type"`
	Request []bulkEntry `json:"request"`
}

type bulkEntry struct {
	ID string `json:"id"`
}

// bulkGet reads the objects with the given ids with POST {object}/bulk,
// BulkSize ids per call, one call after the other (each is one request of
// the account's rate budget either way), and returns one BulkResult per
// call in order. Bulk GET only reads, so its calls are retried like
// queries. No call is made for no ids.
func bulkGet[T any](ctx context.Context, c *Client, acct Account, object string, ids []string) ([]BulkResult[T], error) {
	var out []BulkResult[T]
	for start := 0; start < len(ids); start += BulkSize {
		chunk := ids[start:min(start+BulkSize, len(ids))]
		req := bulkRequest{Type: "GET", Request: make([]bulkEntry, len(chunk))}
		for i, id := range chunk {
			req.Request[i] = bulkEntry{ID: id}
		}
		var raw json.RawMessage
		if err := c.do(ctx, acct, call{method: "POST", object: object, path: object + "/bulk", body: marshal(req), read: true}, &raw); err != nil {
			return nil, err
		}
		res := BulkResult[T]{Raw: raw}
		if err := json.Unmarshal(raw, &res); err != nil {
			// A 2xx that is not what REST answers: unreadable, as in
			// Client.try, and no status, which would make the client's
			// error read "OK".
			return nil, &Error{Method: "POST", Object: object, Ambiguous: true,
				Err: fmt.Errorf("%w: decoding %s bulk response: %w", ErrUnreadableAnswer, object, err)}
		}
		out = append(out, res)
	}
	return out, nil
}
