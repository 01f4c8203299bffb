// Package chunk cuts a document's text into pieces that each fit one model
// call. It is the second stage of llsum's flow: files → extract → chunk →
// infer → output.
//
// A chunk's size is measured in tokens with the caller's Counter (the
// model's own tokenizer, or the extractive backend's approximation when there is none). The budget
// for one chunk is what the context window leaves once the prompt template,
// the answer and a safety margin are taken out (see Budget).
//
// A text that fits the budget is one chunk. A longer one is cut into
// k = ceil(1.1 · tokens / (budget − overlap)) chunks of near-equal size (so
// that batched generation wastes little padding; the 10 % leave each cut
// room on both sides of its ideal place); each cut is made at the best
// boundary within ±20 % of a chunk around the ideal position and under the
// budget, in this order of preference: page break, paragraph (blank line,
// Markdown heading), sentence start (as llsum's segmenter, internal/segment,
// finds them: UAX #29 with abbreviations, danda, CJK full stops and Thai
// clause spaces), word boundary (a space, or between two CJK characters), a
// point inside whitespace, and only as a last resort inside a word, on a
// grapheme cluster boundary (never inside a UTF-8 character or a combining
// sequence).
//
// Every chunk's text is counted with the Counter once it is placed, so the
// budget holds exactly for the counter even where the tokens of a
// concatenation differ from the sum of its parts. The work is linear in the
// text: the counter sees the text two to three times in all (once in small
// pieces for an estimate, then each chunk once or twice); with the Llama 3
// tokenizer, splitting a 4.4 MB manual costs 2.2 times counting it once.
package chunk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/llsum/llsum/extract"
)

// Counter returns the number of tokens text takes.
type Counter func(text string) int

// MinBudget is the smallest budget Split accepts, in tokens.
const MinBudget = 16

// ErrWindowTooSmall is returned by Budget when the window leaves too little
// room for text.
var ErrWindowTooSmall = errors.New("context window too small")

// Margin is the number of tokens Budget keeps free in a window of the given
// size: 16 tokens plus 1 % of the window. It absorbs the tokens that merge
// or split where the text meets the prompt template and small differences
// between a server's tokenizer and ours (2048 → 36, 8192 → 97,
// 131072 → 1326).
func Margin(window int) int { return 16 + window/100 }

// Budget returns the number of text tokens one model call may carry:
//
//	window − overhead − maxNew − Margin(window)
//
// where window is the context window in tokens, overhead the tokens the
// prompt takes with an empty text (chat template and instruction:
// infer.Summarizer.Overhead) and maxNew the tokens reserved for the answer.
// It fails with ErrWindowTooSmall when less than MinBudget tokens are left.
func Budget(window, overhead, maxNew int) (int, error) {
	if window <= 0 {
		return 0, fmt.Errorf("context window of %d tokens: must be positive", window)
	}
	if overhead < 0 || maxNew < 0 {
		return 0, fmt.Errorf("negative prompt (%d) or answer (%d) tokens", overhead, maxNew)
	}
	m := Margin(window)
	b := window - overhead - maxNew - m
	if b < MinBudget {
		return b, fmt.Errorf("%w: %d tokens − prompt %d − max new tokens %d − margin %d leaves %d for text, need at least %d",
			ErrWindowTooSmall, window, overhead, maxNew, m, b, MinBudget)
	}
	return b, nil
}

// Options tune Split.
type Options struct {
	// Budget is the most tokens one chunk's text may take (see Budget).
	Budget int
	// Overlap is the number of tokens, approximately, that each chunk
	// repeats from the end of the previous one, starting at a word
	// boundary. It counts towards the budget and must be at most half of it.
	Overlap int
	// Separator is put between pages; it must be whitespace. "" means a
	// form feed, so that offsets are those of extract.Document.Text.
	Separator string
	// Lang is the text's language code, which selects the abbreviations
	// that do not end a sentence; "" detects it.
	Lang string
}

// Chunk is one piece of the text.
type Chunk struct {
	// Index is the chunk's position, from 0.
	Index int `json:"index"`
	// Pages is the range of page numbers [first, last] of the text the chunk
	// owns (its overlap excluded).
	Pages [2]int `json:"pages"`
	// Tokens is the Counter's count of Text.
	Tokens int `json:"tokens"`
	// Start and End are the byte offsets of the text the chunk owns in the
	// pages joined by the separator. Chunks own consecutive ranges that
	// cover the whole text.
	Start int `json:"start"`
	End   int `json:"end"`
	// Overlap is the number of bytes before Start that Text repeats from the
	// previous chunk.
	Overlap int `json:"overlap,omitempty"`
	// Text is the joined text from Start−Overlap to End.
	Text string `json:"text"`
}

// Own returns the part of the chunk's text that no other chunk has (Text
// without the overlap).
func (c Chunk) Own() string { return c.Text[c.Overlap:] }

// Plan is the result of Split.
type Plan struct {
	Budget  int     `json:"budget"`
	Overlap int     `json:"overlap,omitempty"`
	Chunks  []Chunk `json:"chunks"`
}

// Tokens is the sum of the chunks' token counts.
func (p *Plan) Tokens() int {
	n := 0
	for _, c := range p.Chunks {
		n += c.Tokens
	}
	return n
}

// Join returns the pages' texts joined by sep ("" means a form feed): the
// text whose byte offsets Chunk.Start and Chunk.End are.
func Join(pages []extract.Page, sep string) string {
	if sep == "" {
		sep = "\f"
	}
	n := 0
	for _, p := range pages {
		n += len(p.Text) + len(sep)
	}
	var b strings.Builder
	b.Grow(n)
	for i, p := range pages {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// Split cuts the pages' text into chunks of at most opts.Budget tokens by
// count. Pages are numbered by their Number field. A text with nothing but
// whitespace gives a plan without chunks. It fails on bad options, on a
// cancelled ctx, and when a single character takes more tokens than the
// budget.
func Split(ctx context.Context, pages []extract.Page, count Counter, opts Options) (*Plan, error) {
	if count == nil {
		return nil, errors.New("chunk: no token counter")
	}
	if opts.Budget < MinBudget {
		return nil, fmt.Errorf("chunk: budget of %d tokens is below the minimum of %d", opts.Budget, MinBudget)
	}
	if opts.Overlap < 0 || opts.Overlap > opts.Budget/2 {
		return nil, fmt.Errorf("chunk: overlap of %d tokens must be between 0 and half the budget (%d)", opts.Overlap, opts.Budget/2)
	}
	sep := opts.Separator
	if sep == "" {
		sep = "\f"
	}
	if strings.TrimSpace(sep) != "" {
		return nil, fmt.Errorf("chunk: page separator %q is not whitespace", sep)
	}
	sp := newSplitter(pages, sep, count, opts)
	plan := &Plan{Budget: opts.Budget, Overlap: opts.Overlap}
	if strings.TrimSpace(sp.text) == "" {
		return plan, nil
	}
	if err := sp.run(ctx, plan); err != nil {
		return nil, err
	}
	// A trailing empty page owns no byte; the last chunk covers it.
	plan.Chunks[len(plan.Chunks)-1].Pages[1] = sp.pageNums[len(sp.pageNums)-1]
	return plan, nil
}

// delta is how far from the ideal size a cut may move to reach a better
// boundary, as a share of the ideal size.
const delta = 0.2

type splitter struct {
	text       string
	pageStarts []int // byte offset of each page's text
	pageNums   []int
	count      Counter
	budget     int
	overlap    int
	est        *estimator
	lang       string // language for the segmenter ("" detects it)
	sentences  []int  // sentence starts (internal/segment), on first use
}

func newSplitter(pages []extract.Page, sep string, count Counter, opts Options) *splitter {
	sp := &splitter{
		text:    Join(pages, sep),
		count:   count,
		budget:  opts.Budget,
		overlap: opts.Overlap,
		lang:    opts.Lang,
	}
	off := 0
	for i, p := range pages {
		if i > 0 {
			off += len(sep)
		}
		sp.pageStarts = append(sp.pageStarts, off)
		sp.pageNums = append(sp.pageNums, p.Number)
		off += len(p.Text)
	}
	return sp
}

// pageOf returns the number of the page that owns byte offset pos (a page
// owns its text and the separator after it).
func (sp *splitter) pageOf(pos int) int {
	i := sort.SearchInts(sp.pageStarts, pos+1) - 1
	if i < 0 {
		i = 0
	}
	return sp.pageNums[i]
}

// isPageStart reports whether a page (other than the first) starts at pos.
func (sp *splitter) isPageStart(pos int) bool {
	i := sort.SearchInts(sp.pageStarts, pos)
	return i > 0 && i < len(sp.pageStarts) && sp.pageStarts[i] == pos
}

// pageStartIn reports whether a page (other than the first) starts in (lo, hi].
func (sp *splitter) pageStartIn(lo, hi int) bool {
	i := sort.SearchInts(sp.pageStarts, lo+1)
	if i == 0 {
		i = 1
	}
	return i < len(sp.pageStarts) && sp.pageStarts[i] <= hi
}

func (sp *splitter) run(ctx context.Context, plan *Plan) error {
	text := sp.text
	sp.est = newEstimator(text, sp.count, sp.budget)
	total := sp.est.at(len(text))
	budget := float64(sp.budget)
	if total <= budget*1.25 {
		if n := sp.count(text); n <= sp.budget {
			plan.Chunks = append(plan.Chunks, sp.chunk(0, 0, 0, len(text), n))
			return nil
		}
	}
	// Plan for k chunks of target size t = total/k. A cut may move up to
	// delta·t from its ideal place to reach a better boundary, but the
	// window stays symmetric (so that the chunks do not drift short of
	// their target and leave too much for the last ones) and under the
	// budget; k is chosen so that t leaves room for delta/2 above it. If a
	// plan still needs more chunks than k, planning again for that count
	// from the start spreads the text evenly.
	k := max(2, int(math.Ceil(total*(1+delta/2)/float64(sp.budget-sp.overlap))))
	for try := 0; ; try++ {
		chunks, err := sp.plan(ctx, total, k)
		if err != nil {
			return err
		}
		if len(chunks) <= k || try == 2 {
			plan.Chunks = chunks
			return nil
		}
		k = len(chunks)
	}
}

// plan cuts the text into k chunks, or more where k cannot hold it.
func (sp *splitter) plan(ctx context.Context, total float64, k int) ([]Chunk, error) {
	text := sp.text
	content := float64(sp.budget - sp.overlap)
	budget := float64(sp.budget)
	var chunks []Chunk
	prev := 0
	for j, s := 0, 0; s < len(text); j++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o := s
		if j > 0 && sp.overlap > 0 {
			o = sp.overlapStart(prev, s)
		}
		remaining := total - sp.est.at(s)
		if remaining+sp.est.at(s)-sp.est.at(o) <= budget*1.25 {
			if n := sp.count(text[o:]); n <= sp.budget {
				chunks = append(chunks, sp.chunk(j, o, s, len(text), n))
				break
			}
		}
		left := k - j
		if need := int(math.Ceil(remaining / content)); need > left {
			left = need
		}
		left = max(left, 2)
		k = j + left
		e, o, n, err := sp.cut(o, s, remaining/float64(left))
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, sp.chunk(j, o, s, e, n))
		prev, s = s, e
	}
	return chunks, nil
}

func (sp *splitter) chunk(index, o, s, e, n int) Chunk {
	return Chunk{
		Index:   index,
		Pages:   [2]int{sp.pageOf(s), sp.pageOf(e - 1)},
		Tokens:  n,
		Start:   s,
		End:     e,
		Overlap: s - o,
		Text:    sp.text[o:e],
	}
}

// cut places the end of the chunk that owns text from s (and repeats text
// from o) so that it holds about target estimated tokens of its own and at
// most the budget by exact count. It returns the end, the overlap start
// (moved to s if even one character with the overlap does not fit) and the
// chunk's token count.
func (sp *splitter) cut(o, s int, target float64) (end, ostart, tokens int, err error) {
	est := sp.est
	base, obase := est.at(s), est.at(o)
	capTok := float64(sp.budget) // estimated tokens allowed for text[o:e]
	for iter := 1; ; iter++ {
		idealTok := base + target
		hiTok := min(idealTok+delta*target, obase+capTok)
		loTok := idealTok - (hiTok - idealTok)
		if hiTok < idealTok {
			idealTok, loTok = hiTok, hiTok-delta*target
		}
		hi := min(est.pos(hiTok), len(sp.text))
		lo := est.pos(loTok)
		ideal := est.pos(idealTok)
		e := sp.best(s, lo, hi, ideal)
		n := sp.count(sp.text[o:e])
		if n <= sp.budget {
			return e, o, n, nil
		}
		if e == sp.nextGrapheme(s) {
			if o < s {
				// The overlap leaves no room: this chunk does without.
				o, obase, capTok = s, base, float64(sp.budget)
				continue
			}
			return 0, 0, 0, fmt.Errorf("chunk: the text at byte %d (page %d) takes %d tokens for a single character, more than the budget of %d",
				s, sp.pageOf(s), n, sp.budget)
		}
		// Over by exact count: scale the estimated cap down by the excess
		// and a growing margin, and place the cut again.
		capTok = (est.at(e)-obase)*float64(sp.budget)/float64(n) - float64(iter*iter)
	}
}

// best returns the best cut in (s, len]: the strongest boundary in
// [lo, hi], the one nearest ideal among equals; failing that, the boundary
// (any level but inside a word) in (s, lo) nearest ideal; failing that,
// the grapheme boundary at or before ideal (or the first one after s).
func (sp *splitter) best(s, lo, hi, ideal int) int {
	lo = max(lo, s+1)
	if lo > hi {
		lo = s + 1
	}
	bestPos, bestLevel := -1, levelNone
	better := func(p, lv int) bool {
		return lv < bestLevel || (lv == bestLevel && abs(p-ideal) < abs(bestPos-ideal))
	}
	for p := lo; p <= hi && p < len(sp.text); p++ {
		if lv := sp.levelAt(p); lv < levelNone && better(p, lv) {
			bestPos, bestLevel = p, lv
		}
	}
	if bestPos >= 0 {
		return bestPos
	}
	for p := s + 1; p < lo && p < len(sp.text); p++ {
		if lv := sp.levelAt(p); lv < levelNone && (bestPos < 0 || abs(p-ideal) < abs(bestPos-ideal)) {
			bestPos = p
		}
	}
	if bestPos >= 0 {
		return bestPos
	}
	return sp.graphemeCut(s, max(ideal, s+1))
}

// overlapStart returns where the chunk that owns text from s starts
// repeating the previous chunk (which owns text from prev): the first word
// boundary after the point about sp.overlap tokens before s, or s if none.
func (sp *splitter) overlapStart(prev, s int) int {
	p := max(sp.est.pos(sp.est.at(s)-float64(sp.overlap)), prev+1)
	for ; p < s; p++ {
		if sp.levelAt(p) < levelNone {
			return p
		}
	}
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
