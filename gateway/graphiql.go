package gateway

import (
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
)

// graphiqlAssetPath is where GraphiQL's files are served.
const graphiqlAssetPath = "/graphiql/"

// graphiqlQuery prefills GraphiQL's editor: a read-only query that needs
// no id, so that it shows an account's own data wherever it runs (the
// demo's four instances and their packs on a fresh demo).
const graphiqlQuery = `# Set SPACE_GUID and the bearer token in the Headers tab below, then run.
query instances {
  integrationPackInstances {
    id
    integrationPackOverrideName
    integrationPack {
      id
      name
      installationType
    }
  }
}
`

func newGraphiQL(headers map[string]string) (*graphiql.Handler, error) {
	if headers == nil {
		headers = map[string]string{"SPACE_GUID": "<your space guid>", "Authorization": "Bearer <your token>"}
	}
	return graphiql.New(graphiql.Options{
		Endpoint:  "/graphql",
		AssetPath: graphiqlAssetPath,
		Headers:   headers,
		Query:     graphiqlQuery,
		Title:     "ipack-gateway GraphiQL",
	})
}

// graphiqlForBrowsers answers a browser opening the GraphQL endpoint with
// GraphiQL, when it is enabled, and passes other requests on.
func (s *Server) graphiqlForBrowsers(next http.Handler) http.Handler {
	if s.graphiql == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if graphiql.WantsHTML(r) {
			s.graphiql.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
