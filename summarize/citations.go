package summarize

import (
	"fmt"

	"github.com/llsum/llsum/extract"
)

// Page citations with a language model (Options.Citations): every page's
// text starts with a "[p. N]" marker line, the whole-document and map
// prompts ask for a citation after each statement, and the reduce prompts
// ask to keep them. The pipeline then checks that each citation lies
// inside the pages of the chunks that fed the text (package cite). The
// extractive backend takes no instruction: the pipeline cites the page of
// each sentence it picked instead, and no markers are added to its text.

const (
	citeAsk  = " After each statement, cite the pages it comes from as [p. N] or [p. N–M], using the [p. N] markers that start each page of the text; cite only pages of the text."
	citeKeep = " Keep the page citations such as [p. 3] or [p. 3–5] after the statements you keep, unchanged."
)

// usesCitations tells whether this run asks the model for citations.
func (r *run) usesCitations() bool {
	return r.opts.Citations && r.opts.Schema == nil && r.s.Info().Backend != "extractive"
}

func citePrompts(p prompts) prompts {
	return prompts{whole: p.whole + citeAsk, mapper: p.mapper + citeAsk, reduce: p.reduce + citeKeep, final: p.final + citeKeep}
}

// withPageMarkers returns doc with each page's text headed by its marker.
func withPageMarkers(doc *extract.Document) *extract.Document {
	d := *doc
	d.Pages = make([]extract.Page, len(doc.Pages))
	for i, p := range doc.Pages {
		d.Pages[i] = p
		if p.Text != "" {
			d.Pages[i].Text = fmt.Sprintf("[p. %d]\n%s", p.Number, p.Text)
		}
	}
	return &d
}
