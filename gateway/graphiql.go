package gateway

import (
	"net/http"

	"github.com/ipack-gateway/ipack-gateway/gateway/graphiql"
)

// graphiqlAssetPath is where GraphiQL's files are served.
const graphiqlAssetPath = "/graphiql/"

// graphiqlQuery prefills GraphiQL's editor: the read-only list query on
// the vendor's sample instance, safe to run anywhere.
const graphiqlQuery = `# Set SPACE_GUID and the bearer token in the Headers tab below, then run.
query attachments {
  integrationPackEnvironmentAttachments(ipackInstanceId: "SW50ZWdyYXRpb25QYWNrSW5zdGFuY2UzNDQ4Ng") {
    id
    environmentId
    integrationPackInstanceId
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
