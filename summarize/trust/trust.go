// Package trust is the stage after summarizing that makes a summary
// checkable: page citations (added for the extractive backend, range-checked
// for a model's) and the faithfulness check against the source text.
package trust

import (
	"strconv"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/faithful"
	sumz "github.com/llsum/llsum/summarize"
	"github.com/llsum/llsum/summarize/cite"
)

// Options select the checks.
type Options struct {
	// Citations adds (extractive) or checks (model) page citations.
	Citations bool
	// Extractive says the summary's sentences were taken from the document.
	Extractive bool
	// Structured says the summary is a JSON value (--schema): it gets no
	// citations, only the faithfulness check.
	Structured bool
}

// Report is what Apply found.
type Report struct {
	// Citations are the summary's points with the pages they cite.
	Citations []cite.Point
	// Faithfulness lists the facts of the summary absent from the source.
	Faithfulness []faithful.Warning
	// Dropped are the citations removed for being out of range.
	Dropped []string
}

// Apply cites and checks out (in place: its summaries gain or lose
// citations) against doc, and reports.
func Apply(doc *extract.Document, out *sumz.Outcome, o Options) Report {
	var rep Report
	if len(doc.Pages) == 0 {
		return rep
	}
	whole := [2]int{doc.Pages[0].Number, doc.Pages[len(doc.Pages)-1].Number}
	// A one-page document has nothing to trace: no citations.
	if o.Citations && !o.Structured && whole[0] != whole[1] {
		var loc *cite.Locator
		if o.Extractive {
			loc = cite.NewLocator(doc.Pages)
		}
		fix := func(text string, within [2]int, where string) string {
			if within == [2]int{} {
				within = whole
			}
			if o.Extractive {
				return cite.CiteSentences(text, extractive.SplitSentences(text), loc, within)
			}
			t, msgs := cite.Check(text, within, where)
			rep.Dropped = append(rep.Dropped, msgs...)
			return t
		}
		for i := range out.Chunks {
			c := &out.Chunks[i]
			c.Summary = fix(c.Summary, c.Pages, partName(c.Index))
		}
		for l := range out.Levels {
			for i := range out.Levels[l].Groups {
				g := &out.Levels[l].Groups[i]
				g.Summary = fix(g.Summary, g.Pages, "a merged summary")
			}
		}
		if len(out.Chunks) == 1 && o.Extractive {
			out.Summary = out.Chunks[0].Summary
		} else {
			out.Summary = fix(out.Summary, whole, "the summary")
		}
		rep.Citations = cite.Points(out.Summary)
	}
	src := faithful.NewSource(doc.Text())
	rep.Faithfulness = src.Check(out.Summary)
	return rep
}

func partName(i int) string { return "part " + strconv.Itoa(i+1) }
