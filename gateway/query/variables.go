package query

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// Variables are coerced and checked here, against the types the executed
// operation declares, before graphql-go sees them. graphql-go's own checks
// speak Go ("wrong type for ID: float64", "could not unmarshal 5 (float64)
// into string"), come after validation as an execution error beside
// "data":{}, place a missing field of an input object at a line of the
// gateway's schema text, and refuse an integer for an ID, which the GraphQL
// specification accepts. What this accepts, graphql-go accepts; what it
// refuses is a request error in GraphQL's terms (graphql-js's wording), at
// the variable's definition in the client's document, with no data.

// CheckVariables coerces vars, a request's variables as encoding/json
// decoded them, in place to the types op declares (an integer given for an
// ID becomes its decimal string, in input objects and lists too), and
// returns nil when they fit. Otherwise nothing is to run, and it returns
// the request's errors: those graphql-go's validation finds in doc, if
// any, since the GraphQL specification validates a document before it
// coerces variables, else one for each variable whose value does not fit
// its type. graphql-go's own checks of variable values are left out: these
// replace them. Only requests refused for their variables pay for the
// second validation. The errors are located in doc.Text
// (Document.LocateErrors places them in the client's text).
func (a *Analyzer) CheckVariables(doc *Document, op *Operation, vars map[string]any) []*gqlerrors.QueryError {
	varErrs := a.vars.check(op.vars, vars)
	if len(varErrs) == 0 {
		return nil
	}
	var docErrs []*gqlerrors.QueryError
	for _, e := range a.gs.ValidateWithVariables(doc.Text(), vars) {
		if e.Rule != varsRule {
			docErrs = append(docErrs, e)
		}
	}
	if len(docErrs) > 0 {
		return docErrs
	}
	return varErrs
}

// varChecker holds the schema as gqlparser reads it, for the variables'
// types.
type varChecker struct{ schema *ast.Schema }

// newVarChecker loads sdl, the schema graphql-go serves.
func newVarChecker(sdl string) (*varChecker, error) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("schema for variables: %w", err)
	}
	return &varChecker{schema: s}, nil
}

// maxExactInteger is the largest integer a JSON number decoded into a
// float64 holds exactly (2^53): past it the digits an ID is made of are lost.
const maxExactInteger = 1 << 53

// check coerces vars in place to the types defs declare (an integer given
// for an ID becomes its decimal string, in input objects and lists too) and
// returns an error for each variable whose value does not fit its type.
// Types the schema does not know are left to graphql-go's validation.
func (c *varChecker) check(defs ast.VariableDefinitionList, vars map[string]any) []*gqlerrors.QueryError {
	var errs []*gqlerrors.QueryError
	for _, def := range defs {
		name := "$" + def.Variable
		fail := func(format string, args ...any) {
			e := &gqlerrors.QueryError{
				Message:    fmt.Sprintf(format, args...),
				Extensions: map[string]any{"code": string(errcode.GraphQLValidationFailed)},
			}
			if p := def.Position; p != nil && p.Line > 0 {
				e.Locations = []gqlerrors.Location{{Line: p.Line, Column: p.Column}}
			}
			errs = append(errs, e)
		}
		val, present := vars[def.Variable]
		switch {
		case !present:
			if def.Type.NonNull && def.DefaultValue == nil {
				fail("Variable %q of required type %q was not provided.", name, def.Type.String())
			}
			continue
		case val == nil:
			if def.Type.NonNull {
				fail("Variable %q of non-null type %q must not be null.", name, def.Type.String())
			}
			continue
		}
		w := coercion{schema: c.schema}
		coerced := w.value(val, def.Type, []string{def.Variable})
		for _, p := range w.problems {
			at := ""
			if len(p.path) > 1 {
				at = fmt.Sprintf(" at %q", strings.Join(p.path, ""))
			}
			fail("Variable %q got invalid value %s%s; %s", name, echoValue(p.value), at, p.msg)
		}
		if len(w.problems) == 0 {
			vars[def.Variable] = coerced
		}
	}
	return errs
}

// coercion walks one variable's value.
type coercion struct {
	schema   *ast.Schema
	problems []valueProblem
}

// valueProblem is why a value inside a variable does not fit its type.
type valueProblem struct {
	path  []string // the variable's name, then ".field" and "[i]" steps
	value any
	msg   string
}

func (w *coercion) fail(path []string, v any, format string, args ...any) {
	w.problems = append(w.problems, valueProblem{path: slices.Clone(path), value: v, msg: fmt.Sprintf(format, args...)})
}

// value returns v coerced to t, noting what does not fit.
func (w *coercion) value(v any, t *ast.Type, path []string) any {
	if v == nil {
		if t.NonNull {
			w.fail(path, v, "Expected non-nullable type %q not to be null.", t.String())
		}
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			// A single item stands for a list of one (input coercion).
			return w.value(v, t.Elem, path)
		}
		for i, item := range list {
			list[i] = w.value(item, t.Elem, append(path, "["+strconv.Itoa(i)+"]"))
		}
		return list
	}
	def := w.schema.Types[t.NamedType]
	if def == nil {
		return v // graphql-go's validation names the unknown type
	}
	switch def.Kind {
	case ast.Scalar:
		return w.scalar(v, def.Name, path)
	case ast.Enum:
		s, ok := v.(string)
		switch {
		case !ok:
			w.fail(path, v, "Enum %q cannot represent non-string value.", def.Name)
		case def.EnumValues.ForName(s) == nil:
			w.fail(path, v, "Value %q does not exist in %q enum.", errcode.Clip(s, errcode.MaxEchoed), def.Name)
		}
		return v
	case ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			w.fail(path, v, "Expected type %q to be an object.", def.Name)
			return v
		}
		var unknown []string
		for k := range obj {
			if def.Fields.ForName(k) == nil {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown) // maps iterate at random; answers do not
		for _, k := range unknown {
			w.fail(path, v, "Field %q is not defined by type %q.", errcode.Clip(k, errcode.MaxEchoed), def.Name)
		}
		for _, f := range def.Fields {
			fv, present := obj[f.Name]
			if !present {
				if f.Type.NonNull && f.DefaultValue == nil {
					w.fail(path, v, "Field %q of required type %q was not provided.", f.Name, f.Type.String())
				}
				continue
			}
			obj[f.Name] = w.value(fv, f.Type, append(path, "."+f.Name))
		}
		return obj
	}
	return v // an output type: graphql-go's validation refuses the variable
}

// scalar checks v, decoded from JSON, against a scalar type and coerces an
// integer given for an ID.
func (w *coercion) scalar(v any, typ string, path []string) any {
	switch typ {
	case "ID":
		switch x := v.(type) {
		case string:
		case float64:
			if x != math.Trunc(x) {
				w.fail(path, v, "ID cannot represent a non-string, non-integer value.")
				return v
			}
			if math.Abs(x) > maxExactInteger {
				w.fail(path, v, "ID cannot represent an integer past 2^53 exactly; send it as a string.")
				return v
			}
			return strconv.FormatFloat(x, 'f', -1, 64)
		default:
			w.fail(path, v, "ID cannot represent a non-string, non-integer value.")
		}
	case "Int":
		x, ok := v.(float64)
		switch {
		case !ok || x != math.Trunc(x):
			w.fail(path, v, "Int cannot represent non-integer value.")
		case x < math.MinInt32 || x > math.MaxInt32:
			w.fail(path, v, "Int cannot represent non 32-bit signed integer value.")
		}
	case "Float":
		if _, ok := v.(float64); !ok {
			w.fail(path, v, "Float cannot represent non-numeric value.")
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			w.fail(path, v, "Boolean cannot represent a non-boolean value.")
		}
	default: // String, and the schema's own scalars, which all take strings
		if _, ok := v.(string); !ok {
			w.fail(path, v, "%s cannot represent a non-string value.", typ)
		}
	}
	return v
}

// echoValue renders a value from the client's variables for a message, as
// JSON, clipped.
func echoValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "(a value)"
	}
	return errcode.Clip(string(b), errcode.MaxEchoed)
}

// varsRule is the rule graphql-go's validation names its checks of
// variable values by.
const varsRule = "VariablesOfCorrectType"
