package gateway

// AdmitQuery reports why s's limits would refuse query sent with POST, or
// nil: the gateway's own measuring, without running it (for gateway_test).
func AdmitQuery(s *Server, query string) error {
	doc := s.analyzer.measure(query)
	op, found := doc.operation("")
	if ref := s.admit(doc, op, found, "POST"); ref != nil {
		return ref.err
	}
	return nil
}

// MaxNesting is how deeply brackets may nest in an admitted document.
const MaxNesting = maxNesting

// MaxNameLength is the longest name an admitted document may hold.
const MaxNameLength = maxNameLength
