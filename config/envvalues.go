package config

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// envValues records what ${NAME} expansion put in a document, so that no
// config error shows it: an expanded value is often a secret (a Redis URL
// with its password, a REST password, a signing key), and config errors
// are printed at start-up and logged on every failed reload. Errors show
// the value as written ("${REDIS_URL}") instead.
type envValues struct {
	written map[*yaml.Node]string // expanded scalar → its text as written
	vars    map[string]string     // variable name → value
}

// minHidden is the length from which a variable's value, or an expanded
// scalar, is hidden wherever it appears in an error, not only where the
// error quotes it whole: shorter ones ("2", "true", "redis") are no secret
// and would hide unrelated words.
const minHidden = 6

// show is how an error names the scalar n: quoted, or, when it came from
// expansion, as written.
func (e *envValues) show(n *yaml.Node) string {
	if w, ok := e.written[n]; ok {
		return strconv.Quote(w) + notShown
	}
	return strconv.Quote(n.Value)
}

const notShown = " (its value from the environment is not shown)"

// redact returns err with every expanded value in its message replaced:
// a scalar quoted whole by its text as written, any piece of one that is
// a variable's value by ${NAME}. Validate sees a Config, not where its
// values came from, so it is redacted after the fact. The result does not
// wrap err, whose message would show the values again.
func (e *envValues) redact(err error) error {
	if err == nil || (len(e.written) == 0 && len(e.vars) == 0) {
		return err
	}
	type pair struct{ old, new string }
	var pairs []pair
	for n, w := range e.written {
		pairs = append(pairs, pair{strconv.Quote(n.Value), strconv.Quote(w) + notShown})
		if len(n.Value) >= minHidden {
			pairs = append(pairs, pair{n.Value, w})
		}
	}
	for name, v := range e.vars {
		if len(v) >= minHidden {
			pairs = append(pairs, pair{v, "${" + name + "}"})
		}
	}
	// Longest first: a value that holds another is replaced whole.
	slices.SortStableFunc(pairs, func(a, b pair) int { return len(b.old) - len(a.old) })
	msg := err.Error()
	for _, p := range pairs {
		msg = strings.ReplaceAll(msg, p.old, p.new)
	}
	return errors.New(msg)
}
