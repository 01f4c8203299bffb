package infer

import (
	"strings"
	"unicode/utf8"
)

// TextStream turns a reply's bytes, appended token by token, into text that
// is safe to show at once: never half a multi-byte character, never text that
// may turn out to start a stop string, never anything from a stop string on.
// The pieces add up to the whole reply as strings.ToValidUTF8 gives it.
// The zero value has no stop strings.
type TextStream struct {
	stops   []string
	maxStop int
	buf     []byte // every byte appended
	sent    int    // bytes of buf already returned by Next
	checked int    // bytes of buf already searched for stop strings
	stopAt  int    // where a stop string begins in buf; -1 while none
	shown   strings.Builder
}

// NewTextStream returns a stream that ends before the first of stops to
// be completed (empty strings are ignored).
func NewTextStream(stops []string) *TextStream {
	t := &TextStream{stopAt: -1}
	for _, s := range stops {
		if s != "" {
			t.stops = append(t.stops, s)
			t.maxStop = max(t.maxStop, len(s))
		}
	}
	return t
}

// Append adds the bytes of the next token and returns the text that became
// safe to show, and whether a stop string was reached (then the text ends
// just before it and later calls return nothing).
func (t *TextStream) Append(b []byte) (string, bool) {
	if t.stopAt >= 0 {
		return "", true
	}
	t.buf = append(t.buf, b...)
	complete := t.validEnd()
	if len(t.stops) > 0 && complete > t.checked {
		from := max(0, t.checked-t.maxStop+1)
		region := string(t.buf[from:complete])
		// The stop string that ends first, as if the reply came byte by
		// byte (a tie goes to the longer one, which starts earlier): so
		// the text does not depend on how the reply is cut into tokens.
		first, firstEnd := -1, 0
		for _, s := range t.stops {
			i := strings.Index(region, s)
			if i < 0 {
				continue
			}
			if end := i + len(s); first < 0 || end < firstEnd || end == firstEnd && i < first {
				first, firstEnd = i, end
			}
		}
		t.checked = complete
		if first >= 0 {
			t.stopAt = from + first
			return t.emit(t.stopAt), true
		}
	}
	return t.emit(complete - t.heldBack(complete)), false
}

// emit returns buf[sent:end] as valid UTF-8 and marks it shown.
func (t *TextStream) emit(end int) string {
	if end <= t.sent {
		return ""
	}
	out := strings.ToValidUTF8(string(t.buf[t.sent:end]), "\uFFFD")
	t.sent = end
	t.shown.WriteString(out)
	return out
}

// Finish returns the text still held back once the reply has ended without
// a stop string (an incomplete character at the very end becomes U+FFFD).
func (t *TextStream) Finish() string {
	end := len(t.buf)
	if t.stopAt >= 0 {
		end = t.stopAt
	}
	return t.emit(end)
}

// Text ends the stream (Finish) and returns the whole reply: exactly the
// concatenation of the pieces returned.
func (t *TextStream) Text() string {
	t.Finish()
	return t.shown.String()
}

// heldBack is the length of the longest suffix of buf[:end] that is a proper
// prefix of a stop string.
func (t *TextStream) heldBack(end int) int {
	best := 0
	for _, s := range t.stops {
		for n := min(len(s)-1, end); n > best; n-- {
			if string(t.buf[end-n:end]) == s[:n] {
				best = n
				break
			}
		}
	}
	return best
}

// validEnd is the end of the last whole, valid character of buf after sent
// (sent when none). Bytes after it are held back: an incomplete character
// may be completed by the next token, and a run of invalid bytes becomes a
// single U+FFFD only once it is known whole, as strings.ToValidUTF8 does
// with the whole reply.
func (t *TextStream) validEnd() int {
	end := t.sent
	for i := t.sent; i < len(t.buf); {
		r, w := utf8.DecodeRune(t.buf[i:])
		i += w
		if r != utf8.RuneError || w > 1 {
			end = i
		}
	}
	return end
}
