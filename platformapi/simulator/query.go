package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pageSize is the vendor's page size for query results.
const pageSize = 100

// maxPendingQueries bounds the queryMore tokens held at once; the oldest
// are forgotten first, as an expired token would be.
const maxPendingQueries = 1000

type pendingQuery struct {
	account string
	object  string
	rest    []any
	created time.Time
}

type expression struct {
	Operator         string       `json:"operator"`
	Property         string       `json:"property"`
	Argument         []string     `json:"argument"`
	NestedExpression []expression `json:"nestedExpression"`
}

type queryRequest struct {
	QueryFilter *struct {
		Expression *expression `json:"expression"`
	} `json:"QueryFilter"`
}

func (s *Server) query(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAccount(w, r, func(a *account) {
			var req queryRequest
			if !decodeJSON(w, r, &req) {
				return
			}
			if req.QueryFilter != nil && req.QueryFilter.Expression != nil {
				// Checked up front, as the vendor would, not only when some
				// object comes to be matched.
				if err := validate(*req.QueryFilter.Expression, object); err != nil {
					writeError(w, http.StatusBadRequest, err.Error())
					return
				}
			}
			var matched []any
			q := queryObjects[object]
			for _, o := range q.rows(a) {
				keep := true
				if req.QueryFilter != nil && req.QueryFilter.Expression != nil {
					var err error
					keep, err = match(*req.QueryFilter.Expression, q.propsOf(a, o))
					if err != nil {
						writeError(w, http.StatusBadRequest, err.Error())
						return
					}
				}
				if keep {
					matched = append(matched, o)
				}
			}
			s.writePage(w, a, object, matched)
		})
	}
}

func (s *Server) queryMore(object string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveAccount(w, r, func(a *account) {
			raw, _ := io.ReadAll(r.Body)
			token := strings.TrimSpace(string(raw))
			pq, ok := s.tokens[token]
			if !ok || pq.account != a.id || pq.object != object {
				writeError(w, http.StatusBadRequest, "Invalid query token.")
				return
			}
			delete(s.tokens, token)
			s.writePage(w, a, object, pq.rest)
		})
	}
}

// writePage answers one page of results and keeps the rest behind a token.
// Callers hold s.mu.
func (s *Server) writePage(w http.ResponseWriter, a *account, object string, results []any) {
	page := results[:min(len(results), pageSize)]
	res := struct {
		Type            string            `json:"@type"`
		Result          []json.RawMessage `json:"result"`
		QueryToken      string            `json:"queryToken,omitempty"`
		NumberOfResults int               `json:"numberOfResults"`
	}{Type: "QueryResult", Result: []json.RawMessage{}, NumberOfResults: len(page)}
	for _, o := range page {
		res.Result = append(res.Result, typed(object, o))
	}
	if len(results) > pageSize {
		s.tokenNo++
		tok := "EXAMPLE_QUERY_TOKEN_" + strconv.Itoa(s.tokenNo)
		if len(s.tokens) >= maxPendingQueries {
			s.dropOldestToken()
		}
		s.tokens[tok] = &pendingQuery{account: a.id, object: object, rest: results[pageSize:], created: time.Now()}
		res.QueryToken = tok
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) dropOldestToken() {
	var oldest string
	var at time.Time
	for k, q := range s.tokens {
		if oldest == "" || q.created.Before(at) {
			oldest, at = k, q.created
		}
	}
	delete(s.tokens, oldest)
}

// validate checks an expression's shape and properties for object.
func validate(e expression, object string) error {
	switch strings.ToLower(e.Operator) {
	case "and", "or":
		if len(e.NestedExpression) == 0 {
			//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
			return fmt.Errorf("A %s expression needs nested expressions.", e.Operator)
		}
		for _, n := range e.NestedExpression {
			if err := validate(n, object); err != nil {
				return err
			}
		}
		return nil
	}
	q := queryObjects[object]
	if !slices.Contains(q.props, e.Property) {
		//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
		return fmt.Errorf("Invalid query property: %s.", e.Property)
	}
	switch e.Operator {
	case "EQUALS", "NOT_EQUALS", "LIKE":
	case "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL":
		if !q.ordered {
			//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
			return fmt.Errorf("Invalid query operator: %s.", e.Operator)
		}
	default:
		//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
		return fmt.Errorf("Invalid query operator: %s.", e.Operator)
	}
	if len(e.Argument) != 1 {
		//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
		return fmt.Errorf("The %s operator takes one argument.", e.Operator)
	}
	return nil
}

// match evaluates a query filter expression against an object's properties.
func match(e expression, props map[string]string) (bool, error) {
	switch strings.ToLower(e.Operator) {
	case "and", "or":
		if len(e.NestedExpression) == 0 {
			//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
			return false, fmt.Errorf("A %s expression needs nested expressions.", e.Operator)
		}
		and := strings.EqualFold(e.Operator, "and")
		for _, n := range e.NestedExpression {
			ok, err := match(n, props)
			if err != nil {
				return false, err
			}
			if ok != and {
				return ok, nil
			}
		}
		return and, nil
	}
	val, ok := props[e.Property]
	if !ok {
		//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
		return false, fmt.Errorf("Invalid query property: %s.", e.Property)
	}
	if len(e.Argument) != 1 {
		//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
		return false, fmt.Errorf("The %s operator takes one argument.", e.Operator)
	}
	arg := e.Argument[0]
	switch e.Operator {
	case "EQUALS":
		return val == arg, nil
	case "NOT_EQUALS":
		return val != arg, nil
	case "LIKE":
		return likePattern(arg).MatchString(val), nil
	// Compared as text: the values compared so (timestamps in the vendor's
	// one format, yyyy-MM-dd'T'HH:mm:ss'Z') order as text does.
	case "GREATER_THAN":
		return val > arg, nil
	case "GREATER_THAN_OR_EQUAL":
		return val >= arg, nil
	case "LESS_THAN":
		return val < arg, nil
	case "LESS_THAN_OR_EQUAL":
		return val <= arg, nil
	}
	//lint:ignore ST1005 the vendor's own message, capitalised and punctuated, answered to clients as it is
	return false, fmt.Errorf("Invalid query operator: %s.", e.Operator)
}

func likePattern(p string) *regexp.Regexp {
	parts := strings.Split(p, "%")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("(?s)^" + strings.Join(parts, ".*") + "$")
}
