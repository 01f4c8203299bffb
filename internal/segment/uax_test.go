package segment

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// uaxBreaks returns the plain UAX #29 sentence breaks of text.
func uaxBreaks(text string) []int {
	s := &scanner{t: text, tab: bmp(), ab: abbrevsFor("en"), pure: true}
	s.scanPara(0, len(text))
	return s.raw
}

// unisegBreaks returns rivo/uniseg's sentence breaks of text.
func unisegBreaks(text string) []int {
	var out []int
	pos, rest, state := 0, text, -1
	for len(rest) > 0 {
		var sent string
		sent, rest, state = uniseg.FirstSentenceInString(rest, state)
		pos += len(sent)
		if len(rest) > 0 {
			out = append(out, pos)
		}
	}
	return out
}

// TestUAX29MatchesUniseg checks the segmenter's core, without llsum's
// changes, against rivo/uniseg's implementation of UAX #29: on every golden
// case, on tricky strings, and on random mixes of characters of every
// sentence-break class.
func TestUAX29MatchesUniseg(t *testing.T) {
	texts := []string{
		"Hello. World", "U.S.A. is big", "3.5 km. Next", "etc. the end", "Wait... what? No!",
		"He said \"stop.\" She left.", "(Nope.) Yes.", "今天天气很好。我们去公园吧！你来吗？",
		"यह एक वाक्य है। यह दूसरा है॥ तीसरा", "one.\ntwo\r\nthree\u2029four", "a.B c.d e. f. G",
		"Hi!\u00a0There", "end.” Next", "x ?, y", "1.2.3. Four", "Ü. Öl", "e.g.\u0301 Next",
	}
	files, _ := filepath.Glob("testdata/golden/*.txt")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	alphabet := []rune(".?!।。．,:- \u00a0\n\r\u2029\"')(”«»aZé3٣ก ไ漢ा\u0301\u00ad\u200dxY")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		n := 1 + rng.IntN(24)
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		texts = append(texts, string(r))
	}
	for _, text := range texts {
		got, want := uaxBreaks(text), withoutParaSepQuirk(text, unisegBreaks(text))
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n got %v %q\nwant %v %q", text, got, cut(text, got), want, cut(text, want))
		}
	}
}

// withoutParaSepQuirk drops the breaks uniseg v0.4.7 makes just before a
// paragraph separator that follows a terminator and spaces ("। \n"), or
// between CR and LF after a terminator ("।\r\n"): rules SB3 (CR × LF) and
// SB10 (SATerm Close* Sp* × ParaSep) forbid them, and the break after the
// separator (SB11) is there in both.
func withoutParaSepQuirk(text string, breaks []int) []int {
	var out []int
	for i, b := range breaks {
		r, sz := utf8.DecodeRuneInString(text[b:])
		q := b
		for q > 0 {
			p, psz := utf8.DecodeLastRuneInString(text[:q])
			if c := classOf(p); c != cExtend && c != cFormat {
				break
			}
			q -= psz
		}
		p, _ := utf8.DecodeLastRuneInString(text[:q])
		afterSep := b+sz == len(text) || (i+1 < len(breaks) && breaks[i+1] == b+sz)
		if (r == '\n' || r == '\r' || r == '\u2029') && afterSep && classOf(p) == cSp {
			continue
		}
		if r == '\n' && b > 0 && text[b-1] == '\r' {
			continue
		}
		out = append(out, b)
	}
	return out
}

func cut(text string, breaks []int) []string {
	var out []string
	prev := 0
	for _, b := range append(breaks, len(text)) {
		out = append(out, text[prev:b])
		prev = b
	}
	return out
}
