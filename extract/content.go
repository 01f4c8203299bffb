package extract

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// A content-stream reader of llsum's own, in place of the library's
// pdf.Interpret: it streams the decoded content through a counter charged
// to the document's budget and bounds everything it keeps (strings,
// arrays, the operand stack), so that a small file whose content inflates
// to gigabytes costs a bounded amount of memory and fails with
// ErrMemoryBudget instead.

// operand is one content-stream operand.
type operand struct {
	kind operandKind
	num  float64
	str  string    // string bytes, or a name without its slash
	arr  []operand // array elements
}

type operandKind uint8

const (
	opOther operandKind = iota // true, false, null, dictionaries
	opNumber
	opString
	opName
	opArray
)

func (o operand) float() float64 {
	if o.kind == opNumber {
		return o.num
	}
	return 0
}

func (o operand) name() string {
	if o.kind == opName {
		return o.str
	}
	return ""
}

// errContent is a content stream the reader gives up on (not a budget
// matter: broken syntax beyond the limits above).
var errContent = errors.New("malformed content stream")

// streamReader opens a stream's decoded content, refusing filter
// parameters the library would allocate for blindly.
func streamReader(v pdf.Value) (io.Reader, error) {
	if v.Kind() != pdf.Stream {
		return nil, fmt.Errorf("%w: contents are not a stream", errContent)
	}
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

// countingReader charges the bytes read to the budget.
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

// contentLexer tokenizes a content stream.
type contentLexer struct {
	r   *bufio.Reader
	cr  *countingReader
	bud *budget
	// maxString bounds one string operand.
	maxString int
	// held is what the operands read since the last operator hold.
	held int64
}

func newContentLexer(r io.Reader, bud *budget) *contentLexer {
	cr := &countingReader{r: r, bud: bud}
	maxString := 16 << 20
	if bud != nil && bud.limit > 0 && int64(maxString) > bud.limit/4 {
		maxString = int(bud.limit / 4)
	}
	return &contentLexer{r: bufio.NewReaderSize(cr, 32<<10), cr: cr, bud: bud, maxString: maxString}
}

// readErr returns the reason reading stopped: a budget error wins over
// the io error it caused.
func (l *contentLexer) readErr(err error) error {
	if l.cr.err != nil {
		return l.cr.err
	}
	if err == io.EOF {
		return nil
	}
	return err
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

// interpret reads the content and calls do for each operator with its
// operands. do may stop the reading by returning an error.
func (l *contentLexer) interpret(do func(op string, args []operand) error) error {
	var stack []operand
	// frames are the arrays and dictionaries being read.
	type frame struct {
		dict  bool
		elems []operand
	}
	var frames []frame
	push := func(o operand) error {
		if k := len(frames) - 1; k >= 0 {
			if len(frames[k].elems) >= maxOperands {
				return fmt.Errorf("%w: array of more than %d elements", errContent, maxOperands)
			}
			if frames[k].dict {
				o = operand{} // dictionary contents are not used
			}
			frames[k].elems = append(frames[k].elems, o)
			l.held += 32
			return l.bud.hold(32, "content-stream array")
		}
		if len(stack) >= maxOperands {
			return fmt.Errorf("%w: more than %d operands", errContent, maxOperands)
		}
		stack = append(stack, o)
		return nil
	}
	for {
		c, err := l.skipSpace()
		if err != nil {
			return l.readErr(err)
		}
		var o operand
		switch {
		case c == '(':
			s, err := l.literal()
			if err != nil {
				return err
			}
			o = operand{kind: opString, str: s}
		case c == '<':
			next, err := l.r.Peek(1)
			if err == nil && next[0] == '<' {
				l.r.ReadByte()
				if len(frames) >= maxNesting {
					return fmt.Errorf("%w: nesting deeper than %d", errContent, maxNesting)
				}
				frames = append(frames, frame{dict: true})
				continue
			}
			s, err := l.hex()
			if err != nil {
				return err
			}
			o = operand{kind: opString, str: s}
		case c == '>':
			if next, err := l.r.Peek(1); err == nil && next[0] == '>' {
				l.r.ReadByte()
			}
			if k := len(frames) - 1; k >= 0 && frames[k].dict {
				frames = frames[:k]
				o = operand{kind: opOther}
				break
			}
			continue
		case c == '[':
			if len(frames) >= maxNesting {
				return fmt.Errorf("%w: nesting deeper than %d", errContent, maxNesting)
			}
			frames = append(frames, frame{})
			continue
		case c == ']':
			k := len(frames) - 1
			if k < 0 || frames[k].dict {
				continue
			}
			o = operand{kind: opArray, arr: frames[k].elems}
			frames = frames[:k]
		case c == '/':
			s, err := l.word()
			if err != nil {
				return err
			}
			o = operand{kind: opName, str: unescapeName(s)}
		case c == ')' || c == '{' || c == '}':
			continue
		default:
			l.r.UnreadByte()
			w, err := l.word()
			if err != nil {
				return err
			}
			if w == "" {
				l.r.ReadByte() // a stray delimiter
				continue
			}
			if n, ok := parseNumber(w); ok {
				o = operand{kind: opNumber, num: n}
				break
			}
			switch w {
			case "true", "false", "null":
				o = operand{kind: opOther}
			default:
				if len(frames) > 0 {
					// An operator inside an array: broken content; drop
					// what was open.
					frames = frames[:0]
				}
				if w == "ID" {
					if err := l.skipInlineImage(); err != nil {
						return err
					}
					stack = stack[:0]
					continue
				}
				if err := do(w, stack); err != nil {
					return err
				}
				stack = stack[:0]
				l.bud.release(l.held) // the operands are gone
				l.held = 0
				continue
			}
		}
		if err := push(o); err != nil {
			return err
		}
		if o.kind == opString {
			l.held += int64(len(o.str))
			if err := l.bud.hold(int64(len(o.str)), "content-stream string"); err != nil {
				return err
			}
		}
	}
}

func (l *contentLexer) skipSpace() (byte, error) {
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '%' {
			for c != '\n' && c != '\r' {
				if c, err = l.r.ReadByte(); err != nil {
					return 0, err
				}
			}
			continue
		}
		if !isSpace(c) {
			return c, nil
		}
	}
}

// word reads regular characters up to a space or delimiter.
func (l *contentLexer) word() (string, error) {
	var b []byte
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			if err == io.EOF && l.cr.err == nil {
				return string(b), nil
			}
			return "", l.readErr(err)
		}
		if isSpace(c) || isDelim(c) {
			l.r.UnreadByte()
			return string(b), nil
		}
		if len(b) >= 256 {
			return "", fmt.Errorf("%w: token longer than 256 bytes", errContent)
		}
		b = append(b, c)
	}
}

// literal reads a (string) after its opening parenthesis.
func (l *contentLexer) literal() (string, error) {
	var b []byte
	depth := 1
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			if e := l.readErr(err); e != nil {
				return "", e
			}
			return string(b), nil // unterminated at the end: keep what came
		}
		if len(b) >= l.maxString {
			return "", l.bud.exceeded(fmt.Sprintf("content-stream string longer than %s", byteSize(int64(l.maxString))))
		}
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return string(b), nil
			}
		case '\\':
			e, err := l.r.ReadByte()
			if err != nil {
				return string(b), l.readErr(err)
			}
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
				if next, err := l.r.Peek(1); err == nil && next[0] == '\n' {
					l.r.ReadByte()
				}
				continue
			case '\n':
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for k := 0; k < 2; k++ {
					next, err := l.r.Peek(1)
					if err != nil || next[0] < '0' || next[0] > '7' {
						break
					}
					l.r.ReadByte()
					v = v*8 + int(next[0]-'0')
				}
				c = byte(v)
			default:
				c = e
			}
		}
		b = append(b, c)
	}
}

// hex reads a <hex string> after its opening bracket.
func (l *contentLexer) hex() (string, error) {
	var b []byte
	hi, half := byte(0), false
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			if e := l.readErr(err); e != nil {
				return "", e
			}
			break
		}
		if c == '>' {
			break
		}
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
		if half {
			if len(b) >= l.maxString {
				return "", l.bud.exceeded(fmt.Sprintf("content-stream string longer than %s", byteSize(int64(l.maxString))))
			}
			b = append(b, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		b = append(b, hi<<4)
	}
	return string(b), nil
}

// skipInlineImage skips an inline image's data after ID, up to the EI that
// ends it (EI between spaces).
func (l *contentLexer) skipInlineImage() error {
	// One byte of white space follows ID.
	if _, err := l.r.ReadByte(); err != nil {
		return l.readErr(err)
	}
	prev := byte(' ')
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return l.readErr(err)
		}
		if c == 'E' && isSpace(prev) {
			next, err := l.r.Peek(2)
			if len(next) >= 1 && next[0] == 'I' && (len(next) == 1 || isSpace(next[1]) || isDelim(next[1])) {
				l.r.ReadByte()
				return nil
			}
			if err != nil && len(next) < 1 {
				return l.readErr(err)
			}
		}
		prev = c
	}
}

func parseNumber(w string) (float64, bool) {
	c := w[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
		return 0, false
	}
	if n, err := strconv.ParseFloat(w, 64); err == nil {
		return n, true
	}
	// Producers write oddities such as "--5" or "1.2.3"; read them as 0
	// as other readers do.
	return 0, true
}

// unescapeName decodes #xx escapes in a name.
func unescapeName(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		b := []byte(s[:i])
		for ; i < len(s); i++ {
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
	return s
}
