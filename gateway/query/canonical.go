package query

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	gqlerrors "github.com/graph-gophers/graphql-go/errors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/ipack-gateway/ipack-gateway/errcode"
)

// The client's text is lexed once and its tokens written out again in a
// canonical form, which is both what gqlparser parses for the limits and
// what graphql-go executes (doc.go says why). The canonical form is a small
// subset of GraphQL's lexical grammar on which gqlparser, graphql-go
// (text/scanner) and the specification agree:
//
//   - names, numbers and punctuators as the lexer read them (gqlparser takes
//     ASCII names only, and numbers only in the specification's form);
//   - every string, block strings included, as a plain "…" string of its
//     value, in printable ASCII: `\"`, `\\`, `\n` and the other short
//     escapes, and \uXXXX for everything else (\u{XXXXXX} beyond the Basic
//     Multilingual Plane);
//   - between tokens, only spaces and line feeds: commas, tabs, comments,
//     carriage returns and byte order marks become spaces and line feeds.
//
// Each token is written at its line and column in the client's text, where
// the rewriting of an earlier string on the same line leaves room; so the
// locations graphql-go reports are the client's. When a rewritten string
// took more room, the tokens after it on that line move right, and the
// document keeps a table to map locations back (locate).

// CanonicalGrowth bounds how much longer the canonical text is than the
// client's: a string's character takes at most three times its UTF-8 bytes
// (é is \u00E9), and a token moved right by such a string takes one space.
// graphql-go's own bound on a query's length must allow for it.
const CanonicalGrowth = 4

// canonicalDoc is a client's document in canonical form.
type canonicalDoc struct {
	// text is what gqlparser measures and graphql-go executes. It is the
	// client's own text (the same string, no copy) when that is canonical
	// already.
	text string
	// moved maps the canonical text back to the client's text: the tokens
	// that do not stand where the client wrote them, each followed by the
	// next on its line that does; nil when every token does.
	moved []tokenPlace
}

// tokenPlace is where a token starts in the canonical text (at) and in the
// client's text (orig).
type tokenPlace struct{ at, orig place }

func (t tokenPlace) moved() bool { return t.at != t.orig }

// place is a 1-based line and column, counted in runes.
type place struct{ line, col int }

func (p place) before(o place) bool {
	return p.line < o.line || (p.line == o.line && p.col < o.col)
}

// lexError is a document refused on its tokens, with its location in the
// client's text: one the lexer refused, or nested too deep, or one past
// lexLimits.
type lexError struct {
	msg       string
	line, col int
	// tooMany says the document holds more tokens than allowed: a
	// validation error, with no location.
	tooMany bool
}

// lexLimits bound a document's tokens as canonicalize reads them, before
// anything is parsed (cost.go); zero means no bound.
type lexLimits struct {
	tokens     int // tokens, comments not counted
	nameLength int // bytes of a name
}

func (e *lexError) Error() string { return e.msg }

// canonicalize lexes query and writes its tokens in canonical form. It
// refuses a document that does not lex, whose brackets nest deeper than
// MaxNesting (gqlparser's recursive descent has no bound of its own; the
// canonical text is never parsed if this refuses it), or that is past lim.
//
// lim is checked on every token up to a lexical error, whatever comes
// before: a document past lim is refused for that even when it nests too
// deep earlier, and one that does not lex only for what comes before its
// error.
func canonicalize(query string, lim lexLimits) (*canonicalDoc, *lexError) {
	lx := lexer.New(&ast.Source{Input: query})
	w := canonicalWriter{at: place{1, 1}}
	// The client's length, the canonical text's usual one, up to 8 KiB: a
	// longer text grows as it is written, so that a document refused for
	// its tokens early on does not cost a buffer of its whole length.
	w.out.Grow(min(len(query), maxCachedQuery))
	src := cursor{text: query, at: place{1, 1}}
	depth, prevEnd, tokens := 0, 0, 0
	var places []tokenPlace
	var deep *lexError // nested too deep: refused once lim is checked
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			if deep != nil {
				return nil, deep
			}
			return nil, lexFailure(err, tok)
		}
		switch tok.Kind {
		case lexer.EOF:
			if deep != nil {
				return nil, deep
			}
			doc := &canonicalDoc{text: w.out.String()}
			if doc.text == query {
				doc.text = query // the client's string, not a second copy
			}
			doc.moved = places
			return doc, nil
		case lexer.Comment:
			continue // as graphql-js's maxTokens: the canonical text drops them
		}
		if tokens++; lim.tokens > 0 && tokens > lim.tokens {
			return nil, &lexError{msg: fmt.Sprintf("the document holds more than %d tokens; at most %d are allowed", lim.tokens, lim.tokens), tooMany: true}
		}
		if lim.nameLength > 0 && tok.Kind == lexer.Name && len(tok.Value) > lim.nameLength {
			return nil, &lexError{msg: fmt.Sprintf("syntax error: a name of %d bytes; at most %d are allowed", len(tok.Value), lim.nameLength), line: tok.Pos.Line, col: tok.Pos.Column}
		}
		if deep != nil {
			continue // only lim is checked on
		}
		// gqlparser's token positions give a string's line and column
		// after its opening quotes, and a block string's line at its
		// end; the offset where the token starts is right for all.
		orig := src.advance(tok.Pos.Start)
		switch tok.Kind {
		case lexer.BraceL, lexer.BracketL, lexer.ParenL:
			if depth++; depth > MaxNesting {
				deep = &lexError{msg: fmt.Sprintf("syntax error: nested more than %d levels deep", MaxNesting), line: orig.line, col: orig.col}
				if lim == (lexLimits{}) {
					return nil, deep
				}
				continue
			}
		case lexer.BraceR, lexer.BracketR, lexer.ParenR:
			depth--
		}
		at := w.moveTo(orig, tok.Pos.Start > prevEnd)
		// locate needs the tokens that moved, and the first after them
		// on their line that did not, where the shift ends.
		if at != orig || (len(places) > 0 && places[len(places)-1].moved() && places[len(places)-1].at.line == at.line) {
			places = append(places, tokenPlace{at: at, orig: orig})
		}
		w.token(tok)
		prevEnd = tok.Pos.End
	}
}

// cursor walks the client's text to a rune offset, counting lines as
// gqlparser does (a line feed, a carriage return, or both in that order,
// end a line) and columns in runes.
type cursor struct {
	text  string
	i     int // byte offset
	runes int // rune offset
	at    place
}

func (c *cursor) advance(to int) place {
	for c.runes < to && c.i < len(c.text) {
		r, w := utf8.DecodeRuneInString(c.text[c.i:])
		c.i += w
		c.runes++
		switch r {
		case '\r':
			if c.i < len(c.text) && c.text[c.i] == '\n' {
				c.i++
				c.runes++
			}
			fallthrough
		case '\n':
			c.at = place{c.at.line + 1, 1}
		default:
			c.at.col++
		}
	}
	return c.at
}

// lexFailure turns gqlparser's lexical error into the refusal's, worded
// as graphql-js words it (syntaxmsg.go).
func lexFailure(err error, tok lexer.Token) *lexError {
	msg := err.Error()
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		msg = ge.Message
	}
	return &lexError{msg: syntaxErrorMessage(errcode.Clip(msg, 160)), line: tok.Pos.Line, col: tok.Pos.Column}
}

// canonicalWriter writes the canonical text, keeping the place of its end.
type canonicalWriter struct {
	out strings.Builder
	at  place
}

// moveTo writes the line feeds and spaces that bring the text to orig, the
// token's place in the client's text, and returns the place the token will
// take. When the text is past orig already (a string before it on the line
// took more room), the token follows at once, or after one space when the
// client's text had some between them (gap).
func (w *canonicalWriter) moveTo(orig place, gap bool) place {
	for ; w.at.line < orig.line; w.at.line++ {
		w.out.WriteByte('\n')
		w.at.col = 1
	}
	switch {
	case w.at.line == orig.line && w.at.col <= orig.col:
		for ; w.at.col < orig.col; w.at.col++ {
			w.out.WriteByte(' ')
		}
	case gap:
		w.out.WriteByte(' ')
		w.at.col++
	}
	return w.at
}

// token writes tok in canonical form.
func (w *canonicalWriter) token(tok lexer.Token) {
	switch tok.Kind {
	case lexer.Name, lexer.Int, lexer.Float:
		w.write(tok.Value)
	case lexer.String, lexer.BlockString:
		n := w.out.Len()
		quoteTo(&w.out, tok.Value)
		w.at.col += w.out.Len() - n
	case lexer.Spread:
		w.write("...")
	default:
		w.write(punctuator(tok.Kind))
	}
}

// write writes s, which holds no line feed and only ASCII.
func (w *canonicalWriter) write(s string) {
	w.out.WriteString(s)
	w.at.col += len(s)
}

// punctuator returns the text of a one-character token.
func punctuator(k lexer.Type) string {
	switch k {
	case lexer.Bang:
		return "!"
	case lexer.Dollar:
		return "$"
	case lexer.Amp:
		return "&"
	case lexer.ParenL:
		return "("
	case lexer.ParenR:
		return ")"
	case lexer.Colon:
		return ":"
	case lexer.Equals:
		return "="
	case lexer.At:
		return "@"
	case lexer.BracketL:
		return "["
	case lexer.BracketR:
		return "]"
	case lexer.BraceL:
		return "{"
	case lexer.BraceR:
		return "}"
	case lexer.Pipe:
		return "|"
	}
	// The lexer has no other kind of token; a new one must be added here
	// before it reaches graphql-go.
	panic(fmt.Sprintf("canonicalize: unexpected token kind %s", k.Name()))
}

// quote returns a string value as a plain GraphQL string in printable
// ASCII, which gqlparser, graphql-go and the specification decode alike.
func quote(v string) string {
	var b strings.Builder
	quoteTo(&b, v)
	return b.String()
}

// quoteTo writes quote(v) to b.
func quoteTo(b *strings.Builder, v string) {
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r > 0xffff:
			// Braced, with six digits: graphql-go rewrites it to Go's
			// \U0001F600 before its scanner reads it, the same length, so
			// that the columns graphql-go reports after it hold.
			fmt.Fprintf(b, `\u{%06X}`, r)
		default:
			fmt.Fprintf(b, `\u%04X`, r)
		}
	}
	b.WriteByte('"')
}

// locate maps a location in the canonical text to the client's text: by the
// last token of moved that starts at or before it on its line, if any;
// otherwise the location is the client's already.
func (d *canonicalDoc) locate(line, col int) (int, int) {
	if d == nil || d.moved == nil {
		return line, col
	}
	at := place{line, col}
	i, found := slices.BinarySearchFunc(d.moved, at, func(t tokenPlace, p place) int {
		switch {
		case t.at.before(p):
			return -1
		case t.at == p:
			return 0
		}
		return 1
	})
	if !found {
		i--
	}
	if i < 0 || d.moved[i].at.line != line {
		return line, col
	}
	t := d.moved[i]
	return t.orig.line, t.orig.col + (col - t.at.col)
}

// locateErrors maps the locations of errs, which graphql-go or the gateway
// found in the canonical text, to the client's text. d may be nil: a
// document that did not lex has no canonical text, nor errors in it.
func (d *canonicalDoc) locateErrors(errs []*gqlerrors.QueryError) {
	if d == nil || d.moved == nil {
		return
	}
	for _, e := range errs {
		for i, l := range e.Locations {
			e.Locations[i].Line, e.Locations[i].Column = d.locate(l.Line, l.Column)
		}
	}
}
