package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// scanner reads the two big parts of tokenizer.json (the vocab object and
// the merges array) several times faster than encoding/json into maps and
// slices, which keeps loading the 9 MB Llama file well under a second. Input
// is a json.RawMessage that encoding/json has already validated.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return fmt.Errorf("offset %d: want %q", s.pos, c)
	}
	s.pos++
	return nil
}

// str reads a JSON string. Without escapes it aliases the input (valid until
// the input is dropped); escaped strings go through encoding/json.
func (s *scanner) str() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.pos
	escaped := false
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			escaped = true
			s.pos += 2
			continue
		case '"':
			s.pos++
			if !escaped {
				return s.data[start : s.pos-1], nil
			}
			var v string
			if err := json.Unmarshal(s.data[start-1:s.pos], &v); err != nil {
				return nil, err
			}
			return []byte(v), nil
		}
		s.pos++
	}
	return nil, fmt.Errorf("offset %d: unterminated string", start)
}

func (s *scanner) int() (int, error) {
	s.skipSpace()
	start := s.pos
	for s.pos < len(s.data) && (s.data[s.pos] == '-' || s.data[s.pos] >= '0' && s.data[s.pos] <= '9') {
		s.pos++
	}
	n, err := strconv.Atoi(string(s.data[start:s.pos]))
	if err != nil {
		return 0, fmt.Errorf("offset %d: %w", start, err)
	}
	return n, nil
}

// list calls item for each element of an array or each member of an object
// (open is '[' or '{'), handling the commas.
func (s *scanner) list(open, closing byte, item func() error) error {
	if err := s.expect(open); err != nil {
		return err
	}
	if s.peek() == closing {
		s.pos++
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case closing:
			s.pos++
			return nil
		default:
			return fmt.Errorf("offset %d: want ',' or %q", s.pos, closing)
		}
	}
}

// byteLevelTable maps the runes of GPT-2's bytes_to_unicode alphabet (all
// below 324) to their bytes; other runes map to -1.
type byteLevelTable [324]int16

func newByteLevelTable() *byteLevelTable {
	var t byteLevelTable
	for i := range t {
		t[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			t[b] = int16(b)
		} else {
			t[256+n] = int16(b)
			n++
		}
	}
	return &t
}

// appendRaw appends the raw bytes of the byte-level token string tok.
func (t *byteLevelTable) appendRaw(dst, tok []byte) ([]byte, bool) {
	for i := 0; i < len(tok); {
		c := tok[i]
		var r int
		switch {
		case c < 0x80:
			r, i = int(c), i+1
		case c&0xE0 == 0xC0 && i+1 < len(tok):
			r, i = int(c&0x1F)<<6|int(tok[i+1]&0x3F), i+2
		default:
			return dst, false
		}
		if r >= len(t) || t[r] < 0 {
			return dst, false
		}
		dst = append(dst, byte(t[r]))
	}
	return dst, true
}
