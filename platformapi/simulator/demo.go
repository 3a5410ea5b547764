package simulator

import "fmt"

// The demo account, as NewDemo seeds it.
const (
	DemoAccountID = "demo-account"
	DemoUsername  = "BOOMI_TOKEN.demo@example.com"
	DemoPassword  = "demo-api-token"
	// DemoBearerToken stands for a token the vendor issued: the demo
	// account accepts it as "Authorization: Bearer", so a passthrough
	// space can be tried without an account.
	DemoBearerToken = "demo-vendor-jwt"
)

// Ids from the vendor's documentation samples (../shared/seeds), seeded so
// that the samples replay as documented.
const (
	DemoSeedEnvironmentA = "730bc9b1-1f7c-4049-bb65-aacf993b6fe0" // attach sample request
	DemoSeedEnvironmentB = "86b413a8-1ebf-4c95-bc5b-139573b77910" // attach sample response
	DemoMultiPackID      = "3c2f3cc9-6a8e-4ee1-9b5e-5a3b4b5c0001"
	DemoSinglePackID     = "3c2f3cc9-6a8e-4ee1-9b5e-5a3b4b5c0002"
	demoExtraEnvs        = 116 // with the two above and the two of seedSpaces, 120: more than one query page
)

// NewDemo returns a Server with the demo account: the documentation
// samples' instances (1950 and 34486) and environments, more environments
// than fit on one query page, and a single- and a multi-install pack.
func NewDemo(opts Options) *Server {
	s := New(opts)
	s.AddAccount(DemoAccountID, DemoUsername, DemoPassword)
	s.AddBearerToken(DemoAccountID, DemoBearerToken)
	s.AddIntegrationPack(DemoAccountID, IntegrationPack{ID: DemoMultiPackID, Name: "Salesforce to NetSuite Sync", Description: "Multi-install demo integration pack", InstallationType: "MULTI"})
	s.AddIntegrationPack(DemoAccountID, IntegrationPack{ID: DemoSinglePackID, Name: "Workday HR Export", Description: "Single-install demo integration pack", InstallationType: "SINGLE"})
	s.AddInstance(DemoAccountID, 1950, DemoMultiPackID, "Sync EU")
	s.AddInstance(DemoAccountID, 34486, DemoMultiPackID, "Sync US")
	s.AddInstance(DemoAccountID, 20, DemoSinglePackID, "")
	s.AddEnvironment(DemoAccountID, Environment{ID: DemoSeedEnvironmentA, Name: "Production", Classification: "PROD"})
	s.AddEnvironment(DemoAccountID, Environment{ID: DemoSeedEnvironmentB, Name: "Test", Classification: "TEST"})
	for i := 1; i <= demoExtraEnvs; i++ {
		class := "TEST"
		if i%4 == 0 {
			class = "PROD"
		}
		s.AddEnvironment(DemoAccountID, Environment{ID: DemoEnvironment(i), Name: fmt.Sprintf("Demo %03d", i), Classification: class})
	}
	seedSpaces(s)
	seedDemoRuns(s)
	return s
}

// DemoEnvironment returns the id of the demo account's i-th extra
// environment, 1 ≤ i ≤ 116.
func DemoEnvironment(i int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
}
