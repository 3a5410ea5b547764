package gateway_test

import (
	"encoding/json"
	"testing"
)

// TestVendorErrorSamples: where the vendor's documentation shows an
// error's message (its Get All Accounts page: 400, 401, 500), the gateway's
// reads the same; extensions.code is the gateway's own.
func TestVendorErrorSamples(t *testing.T) {
	// 400: the criteria sample with its argument's value left out gives
	// the sample's message at the sample's location (line 6, column 3).
	e := newEnv(t, envOptions{})
	const criteria = "query spaceAccounts\n{\n  spaceAccounts(criteria:{\n    operator: CONTAINS,\n    argument: \n  })\n  {\n     id\n     name\n  }\n}"
	r := e.post(t, criteria, nil)
	var loc struct {
		Errors []struct {
			Message   string `json:"message"`
			Locations []struct{ Line, Column int }
		}
	}
	if err := json.Unmarshal(r.Raw, &loc); err != nil {
		t.Fatal(err)
	}
	if len(loc.Errors) != 1 || loc.Errors[0].Message != `Syntax Error: Unexpected "}".` || len(loc.Errors[0].Locations) != 1 ||
		loc.Errors[0].Locations[0].Line != 6 || loc.Errors[0].Locations[0].Column != 3 || r.code() != "GRAPHQL_PARSE_FAILED" {
		t.Errorf("the 400 sample: %s", r.Raw)
	}

	// 500: "Downstream Execution Error: Server Error", REST's own message
	// kept in extensions.
	e = newEnv(t, envOptions{wrap: failFirst(1, 500, "")})
	r = e.post(t, `{ environments { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Message != "Downstream Execution Error: Server Error" ||
		r.Errors[0].Extensions["platformMessage"] != "injected failure" || r.Errors[0].Extensions["status"] != float64(500) {
		t.Errorf("the 500 sample: %s", r.Raw)
	}

	// 401: "Downstream Execution Error: Unauthorized" (a passthrough
	// space's refused token).
	r = e.do(t, "POST", `{ environments { id } }`, nil, passthroughHeaders("not-the-vendor's"))
	if len(r.Errors) != 1 || r.Errors[0].Message != "Downstream Execution Error: Unauthorized" || r.code() != "UNAUTHORIZED" {
		t.Errorf("the 401 sample: %s", r.Raw)
	}
}
