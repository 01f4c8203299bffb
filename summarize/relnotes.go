package summarize

import (
	"path"
	"strings"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/internal/relnotes"
)

// The release-notes style without a model: the extractive backend cannot
// follow the style's instruction, so a document that is a changelog (entry
// title lines "Bugfix: …", or Keep a Changelog sections) is summarized by
// grouping its entries by kind (package relnotes), each entry its title
// line, URLs left out. Other documents get the usual extractive summary.

// ruleBased tells whether this run writes release notes without a model.
func (r *run) ruleBased() bool {
	return r.opts.Style == StyleReleaseNotes && strings.TrimSpace(r.opts.Prompt) == "" &&
		r.opts.Schema == nil && r.s.Info().Backend == "extractive"
}

// releaseNotes summarizes a changelog document; false when doc is not one.
func (r *run) releaseNotes(doc *extract.Document) (*Outcome, bool) {
	entries := relnotes.Parse(doc.Text())
	if len(entries) == 0 || len(doc.Pages) == 0 {
		return nil, false
	}
	sum := strings.TrimSpace(relnotes.Render(entries))
	pages := [2]int{doc.Pages[0].Number, doc.Pages[len(doc.Pages)-1].Number}
	r.out.Chunks = []ChunkSummary{{Index: 0, Pages: pages, Tokens: r.s.Tokens(doc.Text()), Summary: sum}}
	out, err := r.finish(sum)
	return out, err == nil
}

// releaseDigest groups the entries of changelog summaries, each marked with
// its document's file name; false unless every summary holds entries.
func (r *run) releaseDigest(docs []DocSummary) (*Outcome, bool) {
	var all []relnotes.Entry
	for _, d := range docs {
		es := relnotes.Parse(d.Summary)
		if len(es) == 0 {
			return nil, false
		}
		for i := range es {
			es[i].Source = path.Base(d.Path)
		}
		all = append(all, es...)
	}
	out, err := r.finish(strings.TrimSpace(relnotes.Render(all)))
	return out, err == nil
}
