package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// A content-stream reader of llsum's own for the ledongthuc engine: the
// library's PostScript lexer allocates a boxed value per token (a third of
// the engine's time on the R manual) and rejects valid streams (a literal
// string holding "\p", inline images). This one reads the decoded stream
// into a buffer reused page after page and hands operators their operands
// without allocating.
//
// Everything it holds is bounded and charged to the document's budget
// (budget.go): the decoded bytes of a page's streams (forms drawn again
// count again), array elements, nesting; strings and names alias the
// stream's bytes, so they cost nothing beyond them. A small file whose
// content inflates to gigabytes fails with ErrMemoryBudget instead.

// operand is one operand of a content-stream operator.
type operand struct {
	kind operandKind
	num  float64
	str  []byte    // a string's bytes, a name without its slash; aliases the stream
	arr  []operand // an array's elements
}

type operandKind uint8

const (
	opNull operandKind = iota
	opNumber
	opName
	opString
	opArray
	opDict // skipped: kept only as a placeholder
	opOther
)

// maxContent bounds the bytes of one content stream (forms included).
const maxContent = 64 << 20

// errContent is a content stream the reader gives up on (not a budget
// matter: broken syntax beyond the limits of budget.go).
var errContent = errors.New("malformed content stream")

// readContent appends the decoded bytes of a content stream (or of an
// array of them, joined by newlines) to buf, counting them against bud:
// the error is ErrMemoryBudget when the page's content decodes to more
// than the budget, or a filter the library would allocate for blindly.
func readContent(buf []byte, v pdf.Value, bud *budget) ([]byte, error) {
	if v.Kind() == pdf.Array {
		for i := 0; i < v.Len() && i < 4096; i++ {
			var err error
			if buf, err = readContent(buf, v.Index(i), bud); err != nil {
				return buf, err
			}
			buf = append(buf, '\n')
		}
		return buf, nil
	}
	if v.Kind() != pdf.Stream {
		return buf, nil
	}
	r, err := streamReader(v)
	if err != nil {
		return buf, err
	}
	w := bytes.NewBuffer(buf)
	cr := &countingReader{r: io.LimitReader(r, maxContent), bud: bud}
	_, _ = io.Copy(w, cr) // a damaged stream: keep what decoded
	return w.Bytes(), cr.err
}

// streamReader opens a stream's decoded content, refusing filter
// parameters the library would allocate for blindly.
func streamReader(v pdf.Value) (io.Reader, error) {
	params := []pdf.Value{v.Key("DecodeParms")}
	if p := params[0]; p.Kind() == pdf.Array {
		params = params[:0]
		for i := 0; i < p.Len() && i < 8; i++ {
			params = append(params, p.Index(i))
		}
	}
	for _, p := range params {
		if c := p.Key("Columns").Int64(); c < 0 || c > maxPredictorColumns {
			return nil, fmt.Errorf("%w: predictor columns %d", errContent, c)
		}
	}
	return v.Reader(), nil
}

// countingReader charges the bytes read to the budget's decoded count.
type countingReader struct {
	r   io.Reader
	bud *budget
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	if berr := c.bud.addDecoded(int64(n)); berr != nil {
		c.err = berr
		return n, berr
	}
	return n, err
}

// lexer splits a content stream into operands and operators.
type lexer struct {
	b     []byte
	i     int
	arr   []operand // backing store for arrays, reset per operator
	depth int       // arrays open
	err   error     // a limit reached: the lexer stops at it
}

// stop ends the stream with err (a limit of budget.go reached).
func (l *lexer) stop(err error) {
	if l.err == nil {
		l.err = err
	}
	l.i = len(l.b)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '%':
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
		default:
			return
		}
	}
}

// nextOp reads operands up to the next operator, appending the first 64
// of them to args (the rest are dropped), and returns the operator with
// args. An inline image (BI, its dictionary, ID, binary data, EI) is
// skipped whole and returned as the operator "BI". ok is false at the end
// of the content or on a lexing error (l.err).
func (l *lexer) nextOp(args []operand) (op []byte, _ []operand, ok bool) {
	for {
		o, opb, ok := l.next()
		if !ok {
			return nil, args, false
		}
		if opb == nil {
			if len(args) < 64 {
				args = append(args, o)
			}
			continue
		}
		if string(opb) == "BI" {
			for {
				_, iop, ok := l.next()
				if !ok || (iop != nil && string(iop) == "ID") {
					break
				}
			}
			l.skipInlineImage()
		}
		return opb, args, true
	}
}

// next returns the next operand, or the next operator as op (ok false at
// the end of the stream).
func (l *lexer) next() (o operand, op []byte, ok bool) {
	l.skipSpace()
	if l.i >= len(l.b) {
		return o, nil, false
	}
	c := l.b[l.i]
	switch {
	case c == '/':
		l.i++
		s := l.i
		for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
			l.i++
		}
		return operand{kind: opName, str: l.b[s:l.i]}, nil, true
	case c == '(':
		return operand{kind: opString, str: l.literal()}, nil, true
	case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
		l.skipDict()
		return operand{kind: opDict}, nil, true
	case c == '<':
		return operand{kind: opString, str: l.hex()}, nil, true
	case c == '[':
		l.i++
		if l.depth >= maxNesting {
			l.stop(fmt.Errorf("%w: nesting deeper than %d", errContent, maxNesting))
			return operand{kind: opOther}, nil, true
		}
		l.depth++
		start := len(l.arr)
		for {
			l.skipSpace()
			if l.i >= len(l.b) {
				break
			}
			if l.b[l.i] == ']' {
				l.i++
				break
			}
			e, eop, ok := l.next()
			if !ok {
				break
			}
			if eop != nil {
				continue // an operator inside an array: malformed, dropped
			}
			if len(l.arr) >= maxOperands {
				l.stop(fmt.Errorf("%w: arrays of more than %d elements", errContent, maxOperands))
				break
			}
			l.arr = append(l.arr, e)
		}
		l.depth--
		return operand{kind: opArray, arr: l.arr[start:len(l.arr):len(l.arr)]}, nil, true
	case c == ']' || c == '>' || c == ')' || c == '{' || c == '}':
		l.i++ // stray delimiter
		return operand{kind: opOther}, nil, true
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		if n, ok := l.number(); ok {
			return operand{kind: opNumber, num: n}, nil, true
		}
	}
	s := l.i
	for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
		l.i++
	}
	if l.i == s {
		l.i++
	}
	return o, l.b[s:l.i], true
}

// number parses a PDF number (no exponents); ok is false for a token that
// is not one, left for the caller to read as an operator.
func (l *lexer) number() (float64, bool) {
	i := l.i
	neg := false
	if l.b[i] == '+' || l.b[i] == '-' {
		neg = l.b[i] == '-'
		i++
	}
	var n float64
	digits := 0
	for i < len(l.b) && l.b[i] >= '0' && l.b[i] <= '9' {
		n = n*10 + float64(l.b[i]-'0')
		i++
		digits++
	}
	if i < len(l.b) && l.b[i] == '.' {
		i++
		scale := 0.1
		for i < len(l.b) && l.b[i] >= '0' && l.b[i] <= '9' {
			n += float64(l.b[i]-'0') * scale
			scale /= 10
			i++
			digits++
		}
	}
	// A second sign or point ("--5", "1.2.3") is read as PDF readers do:
	// the number up to there, the rest skipped.
	for i < len(l.b) && (l.b[i] == '-' || l.b[i] == '+' || l.b[i] == '.' || (l.b[i] >= '0' && l.b[i] <= '9')) {
		i++
	}
	if digits == 0 || (i < len(l.b) && !isSpace(l.b[i]) && !isDelim(l.b[i])) {
		return 0, false
	}
	l.i = i
	if neg {
		n = -n
	}
	return n, true
}

// literal reads a (string) with its escapes; the result is written over
// the stream's own bytes (escapes only shorten it).
func (l *lexer) literal() []byte {
	l.i++ // (
	start := l.i
	out := l.i
	depth := 1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return l.b[start:out]
			}
		case '\\':
			if l.i >= len(l.b) {
				return l.b[start:out]
			}
			e := l.b[l.i]
			l.i++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.i < len(l.b) && l.b[l.i] == '\n' {
					l.i++
				}
				continue // line continuation
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7'; k++ {
						v = v*8 + int(l.b[l.i]-'0')
						l.i++
					}
					c = byte(v)
				} else {
					c = e // \( \) \\ and any other: the character itself
				}
			}
		}
		l.b[out] = c
		out++
	}
	return l.b[start:out]
}

// hex reads a <hex string>, decoding it over the stream's own bytes.
func (l *lexer) hex() []byte {
	l.i++ // <
	start := l.i
	out := l.i
	half, hi := false, byte(0)
	for l.i < len(l.b) && l.b[l.i] != '>' {
		c := l.b[l.i]
		l.i++
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if !half {
			hi, half = v, true
			continue
		}
		l.b[out] = hi<<4 | v
		out++
		half = false
	}
	if l.i < len(l.b) {
		l.i++ // >
	}
	if half {
		l.b[out] = hi << 4
		out++
	}
	return l.b[start:out]
}

// skipDict skips a << dictionary >>, nested ones and strings included.
func (l *lexer) skipDict() {
	l.i += 2
	depth := 1
	for l.i < len(l.b) && depth > 0 {
		switch c := l.b[l.i]; {
		case c == '(':
			l.literal()
		case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
			depth++
			l.i += 2
		case c == '>' && l.i+1 < len(l.b) && l.b[l.i+1] == '>':
			depth--
			l.i += 2
		case c == '<':
			l.hex()
		default:
			l.i++
		}
	}
}

// skipInlineImage skips an inline image's data after BI … ID: up to an EI
// between white space (or the end).
func (l *lexer) skipInlineImage() {
	// The dictionary between BI and ID is read as operands by the caller;
	// here l.i is just after "ID".
	if l.i < len(l.b) && isSpace(l.b[l.i]) {
		l.i++
	}
	for l.i+1 < len(l.b) {
		if l.b[l.i] == 'E' && l.b[l.i+1] == 'I' && (l.i == 0 || isSpace(l.b[l.i-1])) &&
			(l.i+2 >= len(l.b) || isSpace(l.b[l.i+2]) || isDelim(l.b[l.i+2])) {
			l.i += 2
			return
		}
		l.i++
	}
	l.i = len(l.b)
}

func (o operand) float() float64 {
	if o.kind == opNumber {
		return o.num
	}
	return 0
}

func (o operand) name() string {
	if o.kind != opName {
		return ""
	}
	if bytes.IndexByte(o.str, '#') >= 0 {
		return unescapeName(string(o.str))
	}
	return string(o.str)
}

// unescapeName decodes #xx escapes in a name.
func unescapeName(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}
