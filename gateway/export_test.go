package gateway

import "github.com/ipack-gateway/ipack-gateway/gateway/query"

// AdmitQuery reports why s's limits would refuse query sent with POST, or
// nil: the gateway's own analysis, without running it (for gateway_test).
func AdmitQuery(s *Server, q string) error {
	doc := s.analyzer.Analyze(q)
	op, _ := doc.Operation("")
	if ref := query.Check(doc, op, "POST", s.cfg.GraphQL); ref != nil {
		return ref.Err
	}
	return nil
}

// MaxNesting is how deeply brackets may nest in an admitted document.
const MaxNesting = query.MaxNesting

// MaxNameLength is the longest name an admitted document may hold.
const MaxNameLength = query.MaxNameLength
