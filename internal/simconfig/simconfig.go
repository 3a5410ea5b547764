// Package simconfig writes a gateway configuration file that works against
// the Platform REST API simulator (cmd/platformsim) as it runs, and the
// shell lines that start the gateway with it and send it a first request,
// so that the two run side by side as a gateway and a real upstream do:
//
//	g := simconfig.Gateway{BaseURL: "http://127.0.0.1:8081", Token: simconfig.NewToken()}
//	err := os.WriteFile(path, g.YAML(), 0o600)
//	fmt.Print(g.Instructions(path))
//
// The configuration has one credentials space on the simulator's demo
// account. Its REST password is read from the environment (PasswordEnv),
// as a real API token should be, and its client token is written as a
// SHA-256 only; Instructions prints both for the shell.
package simconfig

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ipack-gateway/ipack-gateway/ids"
	"github.com/ipack-gateway/ipack-gateway/platformapi/simulator"
)

const (
	// Space is the guid of the configuration's space: clients send it
	// as SPACE_GUID.
	Space = "platformsim-space"
	// PasswordEnv is the environment variable the configuration reads
	// the simulator's REST password from.
	PasswordEnv = "PLATFORMSIM_PASSWORD"
	// DefaultListen is the gateway's listen address when Gateway.Listen
	// is empty: the gateway's own default.
	DefaultListen = "127.0.0.1:8080"
)

// Gateway is a gateway configuration for a simulator serving the demo
// account (simulator.NewDemo, platformsim's default).
type Gateway struct {
	// BaseURL is the simulator's REST root, e.g. "http://127.0.0.1:8081".
	BaseURL string
	// Listen is the gateway's listen address; "" is DefaultListen.
	Listen string
	// Token is the bearer token the space admits (NewToken makes one);
	// the file holds its SHA-256 only.
	Token string
}

// NewToken returns a random client token.
func NewToken() string { return "psim-" + rand.Text() }

// Password is the value PasswordEnv must hold: the simulator's demo API
// token.
func (Gateway) Password() string { return simulator.DemoPassword }

func (g Gateway) listen() string {
	if g.Listen == "" {
		return DefaultListen
	}
	return g.Listen
}

// YAML returns the configuration file. Keys left out take the defaults
// config.example.yaml shows.
func (g Gateway) YAML() []byte {
	sum := sha256.Sum256([]byte(g.Token))
	var b strings.Builder
	fmt.Fprintf(&b, `# A gateway configuration for the Platform REST API simulator at %[1]s,
# written by platformsim -gateway-config. Start the gateway with it:
#   export %[2]s='<the simulator's API token, printed by platformsim>'
#   go run ./cmd/gateway -config <this file>
# Keys left out take their defaults (config.example.yaml shows every key).
listen: %[3]s
platform:
  baseURL: %[4]s
spaces:
  - guid: %[5]s
    accountId: %[6]s
    name: Platform simulator
    accountName: Demo Account
    auth: credentials
    credentials:
      username: %[7]s
      # The REST password (an API token), from the environment: never in
      # the file.
      password: ${%[2]s}
    # The SHA-256 of the client token platformsim printed, as
    # printf %%s 'TOKEN' | sha256sum makes it: the file never holds a
    # token in the clear.
    clientTokens: ["sha256:%[8]s"]
`, g.BaseURL, PasswordEnv, quote(g.listen()), quote(g.BaseURL), quote(Space), quote(simulator.DemoAccountID),
		quote(simulator.DemoUsername), hex.EncodeToString(sum[:]))
	return []byte(b.String())
}

// quote writes s as a YAML string: JSON's quoting is YAML's too.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// AttachQuery is the GraphQL request body of Instructions' curl: the
// vendor's attach sample, which attaches a seeded environment of the demo
// account to its instance 34486.
func AttachQuery() string {
	q := fmt.Sprintf(`mutation attachIpackInstance { integrationPackInstanceEnvironmentAttachmentAttach(input: {integrationPackInstanceId: \"%s\", environmentIds: [\"%s\"]}) { id environmentId integrationPackInstanceId } }`,
		ids.Instance(34486), simulator.DemoSeedEnvironmentB)
	return `{"query":"` + q + `"}`
}

// Instructions are the shell lines that start the gateway with the
// configuration at path, and send it the vendor's attach sample.
func (g Gateway) Instructions(path string) string {
	return fmt.Sprintf(`Gateway configuration written to %[1]s. Start the gateway with it in another shell:

export %[2]s='%[3]s'
go run ./cmd/gateway -config %[1]s

then attach an environment through it (space %[4]q, client token %[5]q):

curl -s http://%[6]s/graphql \
  -H 'SPACE_GUID: %[4]s' -H 'Authorization: Bearer %[5]s' \
  -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '%[7]s'

`, shellQuote(path), PasswordEnv, g.Password(), Space, g.Token, g.listen(), AttachQuery())
}

// shellQuote quotes s for a POSIX shell where it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
