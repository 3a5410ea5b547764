package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// matchItems checks a documented answer whose data holds one list against
// the answer: every documented item must be an item of the answer's list,
// byte for byte once compacted (members in the same order), and the answer
// must have no errors. It returns the problems found.
func matchItems(want, got []byte) []string {
	var w, g struct {
		Data   map[string][]json.RawMessage `json:"data"`
		Errors []json.RawMessage            `json:"errors"`
	}
	if err := json.Unmarshal(want, &w); err != nil || len(w.Data) != 1 {
		return []string{fmt.Sprintf("documented answer: want one list in data: %v", err)}
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return []string{fmt.Sprintf("answer: %v: %s", err, got)}
	}
	var problems []string
	if len(g.Errors) > 0 {
		problems = append(problems, fmt.Sprintf("answer has errors: %s", got))
	}
	for field, items := range w.Data {
		have := map[string]bool{}
		for _, it := range g.Data[field] {
			have[string(it)] = true // the gateway's answer is compact already
		}
		for i, it := range items {
			var b bytes.Buffer
			if err := json.Compact(&b, it); err != nil {
				problems = append(problems, fmt.Sprintf("documented %s[%d]: %v", field, i, err))
				continue
			}
			if !have[b.String()] {
				problems = append(problems, fmt.Sprintf("answer's %s lacks the documented item\n%s", field, b.String()))
			}
		}
	}
	return problems
}
