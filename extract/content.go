package extract

import (
	"bytes"
	"io"

	"github.com/ledongthuc/pdf"
)

// A content-stream reader of llsum's own for the ledongthuc engine: the
// library's PostScript lexer allocates a boxed value per token (a third of
// the engine's time on the R manual) and rejects valid streams (a literal
// string holding "\p", inline images). This one reads the decoded stream
// into a buffer reused page after page and hands operators their operands
// without allocating.

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

// readContent appends the decoded bytes of a content stream (or of an
// array of them, joined by newlines) to buf.
func readContent(buf []byte, v pdf.Value) []byte {
	if v.Kind() == pdf.Array {
		for i := 0; i < v.Len() && i < 4096; i++ {
			buf = readContent(buf, v.Index(i))
			buf = append(buf, '\n')
		}
		return buf
	}
	if v.Kind() != pdf.Stream {
		return buf
	}
	w := bytes.NewBuffer(buf)
	_, _ = io.Copy(w, io.LimitReader(v.Reader(), maxContent))
	return w.Bytes()
}

// lexer splits a content stream into operands and operators.
type lexer struct {
	b   []byte
	i   int
	arr []operand // backing store for arrays, reset per operator
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
			l.arr = append(l.arr, e)
		}
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
	if o.kind == opName {
		return string(o.str)
	}
	return ""
}
