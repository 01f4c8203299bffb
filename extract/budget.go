package extract

import (
	"errors"
	"fmt"
	"math"
)

// ErrMemoryBudget: reading the document would take more memory than
// Options.MemoryBudget allows. The document fails alone; the error text
// says which limit was reached.
var ErrMemoryBudget = errors.New("exceeds memory budget")

// DefaultMemoryBudget is the per-document budget when Options.MemoryBudget
// is 0 (callers with a better idea, such as llsum run, derive theirs from
// the machine's memory and the number of workers).
const DefaultMemoryBudget = 256 << 20

// minMemoryBudget is the least budget honoured: below it ordinary pages
// would fail.
const minMemoryBudget = 16 << 20

// Fixed structural limits, independent of the budget: no sane PDF comes
// near them, and each bounds work the budget alone would not.
const (
	// maxOps bounds the operators interpreted on one page (forms included).
	maxOps = 5_000_000
	// maxFormDraws bounds the form XObjects drawn on one page (nested
	// forms that draw each other ten times over reach 10^11 draws in a few
	// kilobytes).
	maxFormDraws = 1 << 16
	// maxPageNodes bounds the page-tree nodes visited (pages included).
	maxPageNodes = 1 << 21
	// maxOperands bounds the operand stack of the content interpreter.
	maxOperands = 1 << 16
	// maxNesting bounds nested arrays and dictionaries in content streams.
	maxNesting = 64
	// maxPredictorColumns bounds a PNG predictor's row (the library
	// allocates it up front).
	maxPredictorColumns = 1 << 20
)

// Approximate costs, in bytes, charged to the budget.
const (
	// glyphCost is one positioned glyph with its share of the layout's
	// working memory (segments, sorting, the page's text).
	glyphCost = 256
	// nodeCost is one page-tree node kept (a page's handle).
	nodeCost = 256
	// mapEntryCost is one entry in a font's width or ToUnicode map.
	mapEntryCost = 64
)

// budget accounts the memory one document's extraction holds. Charges are
// estimates of live bytes: the page's transient memory (glyphs, tokens,
// decoded content) is released after each page, the rest (page text, page
// handles, fonts) is kept for the whole document. It is used by the one
// goroutine extracting the document.
type budget struct {
	limit int64 // 0: unlimited
	kept  int64 // held for the whole document
	page  int64 // held for the current page
	// decoded counts the content bytes decoded for the current page (forms
	// drawn again count again): the work a page costs.
	decoded int64
}

func newBudget(limit int64) *budget {
	if limit > 0 && limit < minMemoryBudget {
		limit = minMemoryBudget
	}
	return &budget{limit: limit}
}

// over returns ErrMemoryBudget, wrapped with what reached it, when the
// charges exceed the limit.
func (b *budget) over(what string) error {
	if b == nil || b.limit <= 0 || b.kept+b.page <= b.limit {
		return nil
	}
	return b.exceeded(what)
}

func (b *budget) exceeded(what string) error {
	return fmt.Errorf("%w: %s (budget %s)", ErrMemoryBudget, what, byteSize(b.limit))
}

// keep charges n bytes held until the document is done.
func (b *budget) keep(n int64, what string) error {
	if b == nil {
		return nil
	}
	b.kept += n
	return b.over(what)
}

// hold charges n bytes held until the current page is done.
func (b *budget) hold(n int64, what string) error {
	if b == nil {
		return nil
	}
	b.page += n
	return b.over(what)
}

// room returns the bytes left under the limit (MaxInt64 without one).
func (b *budget) room() int64 {
	if b == nil || b.limit <= 0 {
		return math.MaxInt64
	}
	return max(0, b.limit-b.kept-b.page)
}

// decodeRoom returns the bytes the current page may still decode
// (MaxInt64 without a limit).
func (b *budget) decodeRoom() int64 {
	if b == nil || b.limit <= 0 {
		return math.MaxInt64
	}
	return max(0, b.limit-b.decoded)
}

// release gives back n bytes held for the page.
func (b *budget) release(n int64) {
	if b != nil {
		b.page -= n
	}
}

// addDecoded counts n content bytes decoded for the current page; a page's
// content may not decode to more than the budget.
func (b *budget) addDecoded(n int64) error {
	if b == nil {
		return nil
	}
	b.decoded += n
	if b.limit > 0 && b.decoded > b.limit {
		return b.exceeded("page content decodes to more than the budget")
	}
	return nil
}

// endPage releases the current page's charges.
func (b *budget) endPage() {
	if b != nil {
		b.page, b.decoded = 0, 0
	}
}

// byteSize prints n in the largest binary unit that keeps it whole-ish.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
