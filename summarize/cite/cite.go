// Package cite handles page citations in summaries: "[p. 3]" and
// "[p. 3–5]". It parses them, drops those outside the pages a summary was
// made from, finds the page of a sentence taken from the document (the
// extractive backend's), and splits a summary into points with their
// pages (the `citations` array of the per-document JSON).
package cite

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/extract"
)

// Format writes the citation of pages p[0] to p[1].
func Format(p [2]int) string {
	if p[0] == p[1] {
		return fmt.Sprintf("[p. %d]", p[0])
	}
	return fmt.Sprintf("[p. %d–%d]", p[0], p[1])
}

// Ref is one citation in a text.
type Ref struct {
	Start, End int // byte offsets of the citation
	Pages      [][2]int
}

var refRE = regexp.MustCompile(`\s?\[(?:pp?|pages?)\.?\s*(\d+(?:\s*[–—-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–—-]\s*\d+)?)*)\]`)
var rangeRE = regexp.MustCompile(`(\d+)(?:\s*[–—-]\s*(\d+))?`)

// Parse finds the citations of text (a leading space belongs to them).
func Parse(text string) []Ref {
	var out []Ref
	for _, m := range refRE.FindAllStringSubmatchIndex(text, -1) {
		r := Ref{Start: m[0], End: m[1]}
		for _, g := range rangeRE.FindAllStringSubmatch(text[m[2]:m[3]], -1) {
			a, _ := strconv.Atoi(g[1])
			b := a
			if g[2] != "" {
				b, _ = strconv.Atoi(g[2])
			}
			r.Pages = append(r.Pages, [2]int{a, b})
		}
		out = append(out, r)
	}
	return out
}

// Strip removes every citation from text.
func Strip(text string) string {
	return refRE.ReplaceAllString(text, "")
}

// Check keeps the citations of text inside within (the pages of the chunks
// that fed it; they are always inside the document) and drops the others,
// returning the text without them and one message per dropped citation;
// where says what the text is ("part 2", "the summary").
func Check(text string, within [2]int, where string) (string, []string) {
	refs := Parse(text)
	var b strings.Builder
	var msgs []string
	at := 0
	for _, r := range refs {
		ok := true
		for _, p := range r.Pages {
			ok = ok && p[0] >= within[0] && p[1] <= within[1] && p[0] <= p[1]
		}
		if ok {
			continue
		}
		b.WriteString(text[at:r.Start])
		at = r.End
		msgs = append(msgs, fmt.Sprintf("citation %s in %s is outside its pages %d–%d: dropped", strings.TrimSpace(text[r.Start:r.End]), where, within[0], within[1]))
	}
	if msgs == nil {
		return text, nil
	}
	b.WriteString(text[at:])
	return b.String(), msgs
}

// Locator finds the pages of text taken from a document.
type Locator struct {
	skel  string // lower-case letters and digits of all pages
	start []int  // skel offset where each page starts
	pages []int  // page numbers
}

// NewLocator indexes the document's pages.
func NewLocator(pages []extract.Page) *Locator {
	l := &Locator{}
	var b strings.Builder
	for _, p := range pages {
		l.start = append(l.start, b.Len())
		l.pages = append(l.pages, p.Number)
		b.WriteString(skeleton(p.Text))
	}
	l.skel = b.String()
	return l
}

func skeleton(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// pageAt is the page holding skeleton offset i.
func (l *Locator) pageAt(i int) int {
	k := sort.Search(len(l.start), func(k int) bool { return l.start[k] > i }) - 1
	return l.pages[max(k, 0)]
}

// Locate returns the pages a sentence of the document spans, searching
// within the given page range; false when it is not found (or too short to
// tell).
func (l *Locator) Locate(sentence string, within [2]int) ([2]int, bool) {
	s := skeleton(sentence)
	if utf8.RuneCountInString(s) < 6 {
		return [2]int{}, false
	}
	lo, hi := 0, len(l.skel)
	for k, p := range l.pages {
		if p < within[0] {
			lo = l.start[min(k+1, len(l.start)-1)]
		}
		if p > within[1] {
			hi = l.start[k]
			break
		}
	}
	if lo > hi {
		return [2]int{}, false
	}
	hay := l.skel[lo:hi]
	if i := strings.Index(hay, s); i >= 0 {
		return [2]int{l.pageAt(lo + i), l.pageAt(lo + i + len(s) - 1)}, true
	}
	// A sentence cut short or joined across a page break: its start.
	prefix := s
	if len(prefix) > 60 {
		prefix = prefix[:60]
		for !utf8.ValidString(prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	if i := strings.Index(hay, prefix); i >= 0 {
		return [2]int{l.pageAt(lo + i), l.pageAt(lo + i + len(prefix) - 1)}, true
	}
	return [2]int{}, false
}

// CiteSentences appends the citation of each of sentences (in the order
// they occur in summary) after it in summary, when the locator finds it.
func CiteSentences(summary string, sentences []string, l *Locator, within [2]int) string {
	var b strings.Builder
	at := 0
	for _, s := range sentences {
		s = strings.TrimSpace(s)
		i := strings.Index(summary[at:], s)
		if i < 0 || s == "" {
			continue
		}
		end := at + i + len(s)
		b.WriteString(summary[at:end])
		if p, ok := l.Locate(s, within); ok {
			b.WriteString(" " + Format(p))
		}
		at = end
	}
	b.WriteString(summary[at:])
	return b.String()
}

// Point is one statement of a summary with the pages it cites.
type Point struct {
	Text  string   `json:"point"`
	Pages [][2]int `json:"pages"`
}

var pointSplitRE = regexp.MustCompile(`(?m)^\s*(?:[-*•]|\d+[.)])\s+`)

// Points splits a summary into points (list items, else sentences ending in
// a citation or a full stop) and lists each one's cited pages; points
// without a citation have an empty page list.
func Points(text string) []Point {
	var out []Point
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		p := Point{Text: strings.TrimSpace(Strip(s)), Pages: [][2]int{}}
		for _, r := range Parse(s) {
			p.Pages = append(p.Pages, r.Pages...)
		}
		if strings.IndexFunc(p.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, p)
		}
	}
	for _, block := range strings.Split(text, "\n") {
		block = strings.TrimSpace(block)
		if block == "" || strings.HasPrefix(block, "#") {
			continue
		}
		if loc := pointSplitRE.FindStringIndex(block); loc != nil && loc[0] == 0 {
			add(block[loc[1]:])
			continue
		}
		// Prose: a point ends after a citation or at a sentence end.
		at := 0
		refs := Parse(block)
		for i := 0; i < len(block); i++ {
			for _, r := range refs {
				if r.Start == i {
					end := r.End
					if end < len(block) && strings.IndexByte(".!?;", block[end]) >= 0 {
						end++
					}
					add(block[at:end])
					at, i = end, end-1
				}
			}
			if i >= at && (block[i] == '.' || block[i] == '!' || block[i] == '?') && (i+1 == len(block) || block[i+1] == ' ') {
				// Keep a citation that follows the full stop with it.
				j := i + 1
				for _, r := range refs {
					if r.Start == j {
						j = r.End
					}
				}
				add(block[at:j])
				at, i = j, j-1
			}
		}
		add(block[at:])
	}
	return out
}
