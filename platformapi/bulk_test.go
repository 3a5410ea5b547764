package platformapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/ipack-gateway/ipack-gateway/platformapi"
)

// TestBulkAnswerUndecodable: a bulk GET answered 200 with JSON that is not
// a bulk answer fails as an unreadable answer without a status, like any
// other 2xx the client cannot decode. With StatusCode 200 the client saw
// "Downstream Execution Error: OK".
func TestBulkAnswerUndecodable(t *testing.T) {
	c, err := platformapi.New(platformapi.Options{
		BaseURL:   "http://127.0.0.1:1/api/rest/v1",
		Transport: cannedTransport{status: http.StatusOK, body: `{"response": 5}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetMapExtensions(context.Background(), platformapi.Account{ID: "acct"}, []string{"x"})
	var pe *platformapi.Error
	if !errors.As(err, &pe) || pe.StatusCode != 0 || !errors.Is(err, platformapi.ErrUnreadableAnswer) || pe.Outcome() != platformapi.OutcomeUnknown {
		t.Fatalf("GetMapExtensions = %v (%+v), want an unreadable answer of unknown outcome with status 0", err, pe)
	}
}
