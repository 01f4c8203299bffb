// Package summarize turns a document into one summary with any
// infer.Summarizer, however long the document and however small the
// model's context window, without dropping or sampling any text:
//
//   - a document whose text fits one call (see chunk.Budget) is summarized
//     in one call;
//   - a longer one is cut into chunks (package chunk), and every chunk is
//     summarized (map, one batched Summarize call for all chunks);
//   - the chunk summaries, each headed by its part number and pages, are
//     combined into the document's summary (reduce); when they do not fit
//     one call together, they are combined in groups that fit, and the
//     groups' summaries again, level by level, until one call takes them
//     all. Each level is one batched Summarize call.
//
// The Outcome records the chunks with their page ranges and summaries and
// every level of the reduce tree, so that a reader can trace a claim to its
// pages. Digest reduces several documents' summaries the same way.
package summarize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/llsum/llsum/chunk"
	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/langid"
)

// DefaultMaxNewTokens is the answer length per call when Options leave it 0.
const DefaultMaxNewTokens = 512

// maxLevels bounds the reduce tree's height. Each level at least shrinks
// its input; with groups of two or more this is reached only by inputs of
// astronomical size.
const maxLevels = 32

// ErrNoProgress is returned when a reduce level's summaries are not
// shorter, in number or in tokens, than its input: the tree would never
// end.
var ErrNoProgress = errors.New("summaries are not getting shorter")

// ErrEmptySummary is returned when the model's final answer is blank.
var ErrEmptySummary = errors.New("the model returned an empty summary")

// Options tune a summary.
type Options struct {
	// Style is one of Styles() ("" means brief).
	Style string
	// Prompt, when not blank, is a custom instruction (the content of
	// --prompt-file) that replaces the style's task.
	Prompt string
	// Lang is the language to write in: "auto" or "" for the document's own
	// (see DetectLanguage), a code (en, zh, pt-BR) or a language name.
	Lang string
	// ContextWindow caps the model's context window, in tokens (0: the
	// model's own, Info().ContextWindow; a backend with neither has no
	// limit and takes every text in one call).
	ContextWindow int
	// MaxNewTokens bounds each call's answer (0: DefaultMaxNewTokens).
	MaxNewTokens int
	// Overlap is the number of tokens each chunk repeats from the previous
	// one (see chunk.Options).
	Overlap int
	// MaxBatch bounds the tasks of one Summarize call (0: all the tasks of a
	// stage in one call). The map stage of a long document has hundreds of
	// chunks; an engine that batches a call whole needs a KV cache for all
	// of them at once.
	MaxBatch int
}

// ChunkSummary is one leaf of the summary tree: a chunk of the document
// (or, in a digest, one document's summary).
type ChunkSummary struct {
	Index int `json:"index"`
	// Pages is the chunk's page range [first, last] (zero in a digest).
	Pages [2]int `json:"pages,omitzero"`
	// Path names the document of a digest's leaf.
	Path string `json:"path,omitempty"`
	// Tokens is the chunk's text length in tokens.
	Tokens  int    `json:"tokens"`
	Summary string `json:"summary"`
}

// Group is one reduce call: it combined the summaries Inputs[0] to
// Inputs[1] of the level below (of the chunks, for the first level). Two
// neighbouring groups share an input only where one summary was too long
// for a group and was split.
type Group struct {
	Index  int    `json:"index"`
	Inputs [2]int `json:"inputs"`
	// Pages is the document page range the group covers (zero in a digest).
	Pages [2]int `json:"pages,omitzero"`
	// Tokens is the length of the group's combined input in tokens.
	Tokens  int    `json:"tokens"`
	Summary string `json:"summary"`
}

// Level is one level of the reduce tree; the last level has one group,
// whose summary is the Outcome's.
type Level struct {
	Groups []Group `json:"groups"`
}

// Outcome is a summary and how it was made.
type Outcome struct {
	Summary string `json:"summary"`
	// Lang is the code of the language the prompts asked for.
	Lang string `json:"lang"`
	// Language is the code of the language detected in the document (in a
	// digest, in the summaries), whatever Lang asked for.
	Language string `json:"language,omitempty"`
	// Style is the style used ("custom" for a prompt file).
	Style string `json:"style"`
	// ContextWindow is the window used, Budget the text tokens per call it
	// left for chunks (0 for no limit).
	ContextWindow int            `json:"context_window,omitempty"`
	Budget        int            `json:"budget,omitempty"`
	Chunks        []ChunkSummary `json:"chunks"`
	// Levels is the reduce tree, from the chunks up; empty when the
	// document took one call.
	Levels           []Level `json:"levels,omitempty"`
	Calls            int     `json:"calls"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
}

// DocSummary is one document's summary, an input of Digest.
type DocSummary struct {
	Path    string
	Summary string
}

// Document summarizes doc with s. Errors keep the class of their cause
// (errclass): a window too small for the prompt, a bad style or language
// are Fatal (no document can be summarized with them), a document without
// text is Skip. They do not repeat the document's path: the caller names
// the document (as the pipeline does: "summarize PATH: ...").
func Document(ctx context.Context, s infer.Summarizer, doc *extract.Document, opts Options) (*Outcome, error) {
	r, err := newRun(s, opts, kindDocument, leadingText(doc))
	if err != nil {
		return nil, err
	}
	plan, whole, err := r.plan(ctx, doc)
	if err != nil {
		return nil, err
	}
	if whole {
		c := plan.Chunks[0]
		res, err := r.call(ctx, r.prompts.whole, []string{c.Text})
		if err != nil {
			return nil, err
		}
		r.out.Chunks = []ChunkSummary{{Index: 0, Pages: c.Pages, Tokens: c.Tokens, Summary: res[0]}}
		return r.finish(res[0])
	}
	texts := make([]string, len(plan.Chunks))
	for i, c := range plan.Chunks {
		texts[i] = c.Text
	}
	sums, err := r.call(ctx, r.prompts.mapper, texts)
	if err != nil {
		return nil, fmt.Errorf("map %d chunks: %w", len(texts), err)
	}
	items := make([]item, len(plan.Chunks))
	for i, c := range plan.Chunks {
		r.out.Chunks = append(r.out.Chunks, ChunkSummary{Index: i, Pages: c.Pages, Tokens: c.Tokens, Summary: sums[i]})
		items[i] = item{
			head:    fmt.Sprintf("## Part %d of %d (%s)", i+1, len(plan.Chunks), pageLabel(c.Pages)),
			summary: sums[i],
			pages:   c.Pages,
		}
	}
	return r.reduce(ctx, items)
}

// Plan returns the chunks Document cuts doc into with s and opts, without
// summarizing anything (`llsum chunk`). A plan of one chunk means one call.
// Errors are those of Document.
func Plan(ctx context.Context, s infer.Summarizer, doc *extract.Document, opts Options) (*chunk.Plan, error) {
	r, err := newRun(s, opts, kindDocument, leadingText(doc))
	if err != nil {
		return nil, err
	}
	plan, _, err := r.plan(ctx, doc)
	return plan, err
}

// plan cuts doc into chunks for the map stage and tells whether the one
// chunk of a short document fits a call with the whole-document prompt.
func (r *run) plan(ctx context.Context, doc *extract.Document) (*chunk.Plan, bool, error) {
	mapBudget, err := r.budget(r.prompts.mapper)
	if err != nil {
		return nil, false, err
	}
	if r.opts.Overlap > mapBudget/2 {
		return nil, false, errclass.AsFatal(fmt.Errorf("chunk overlap of %d tokens is more than half the budget of %d tokens per chunk", r.opts.Overlap, mapBudget))
	}
	plan, err := chunk.Split(ctx, doc.Pages, r.s.Tokens, chunk.Options{Budget: mapBudget, Overlap: r.opts.Overlap, Lang: r.out.Language})
	if err != nil {
		return nil, false, err
	}
	if len(plan.Chunks) == 0 {
		return nil, false, errclass.AsSkip(errors.New("no text to summarize"))
	}
	r.out.Budget = mapBudget
	wholeBudget, err := r.budget(r.prompts.whole)
	if err != nil {
		return nil, false, err
	}
	return plan, len(plan.Chunks) == 1 && plan.Chunks[0].Tokens <= wholeBudget, nil
}

// Digest combines documents' summaries into one digest, reduced the same
// way as a document's chunk summaries. With opts.Lang "auto" the digest is
// written in the language of most of the summaries.
func Digest(ctx context.Context, s infer.Summarizer, docs []DocSummary, opts Options) (*Outcome, error) {
	if len(docs) == 0 {
		return nil, errors.New("digest: no document summaries")
	}
	var sample strings.Builder
	for _, d := range docs {
		sample.WriteString(d.Summary)
		sample.WriteString("\n")
	}
	r, err := newRun(s, opts, kindDigest, sample.String())
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	items := make([]item, len(docs))
	for i, d := range docs {
		r.out.Chunks = append(r.out.Chunks, ChunkSummary{Index: i, Path: d.Path, Tokens: s.Tokens(d.Summary), Summary: d.Summary})
		items[i] = item{head: "## " + d.Path, summary: d.Summary, leaves: [2]int{i, i}}
	}
	if r.out.Budget, err = r.budget(r.prompts.final); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	out, err := r.reduce(ctx, items)
	if err != nil {
		return nil, fmt.Errorf("digest of %d documents: %w", len(docs), err)
	}
	return out, nil
}

// run is the state of one summary.
type run struct {
	s       infer.Summarizer
	opts    Options
	prompts prompts
	window  int // 0: no limit
	maxNew  int
	out     *Outcome
}

func newRun(s infer.Summarizer, opts Options, kind int, sample string) (*run, error) {
	if s == nil {
		return nil, errclass.AsFatal(errors.New("no summarizer"))
	}
	if opts.ContextWindow < 0 || opts.MaxNewTokens < 0 || opts.Overlap < 0 || opts.MaxBatch < 0 {
		return nil, errclass.AsFatal(fmt.Errorf("negative context window (%d), max new tokens (%d), overlap (%d) or batch (%d)",
			opts.ContextWindow, opts.MaxNewTokens, opts.Overlap, opts.MaxBatch))
	}
	code, name, err := resolveLang(opts.Lang, sample)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	p, err := newPrompts(kind, opts.Style, opts.Prompt, name)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	style := opts.Style
	switch {
	case strings.TrimSpace(opts.Prompt) != "":
		style = "custom"
	case style == "":
		style = StyleBrief
	}
	window := s.Info().ContextWindow
	if opts.ContextWindow > 0 && (window <= 0 || opts.ContextWindow < window) {
		window = opts.ContextWindow
	}
	maxNew := opts.MaxNewTokens
	if maxNew == 0 {
		maxNew = DefaultMaxNewTokens
	}
	return &run{
		s: s, opts: opts, prompts: p, window: window, maxNew: maxNew,
		out: &Outcome{Lang: code, Language: DetectLanguage(sample), Style: style, ContextWindow: max(window, 0)},
	}, nil
}

// budget returns the text tokens a call with this instruction may carry.
func (r *run) budget(instruction string) (int, error) {
	if r.window <= 0 {
		return math.MaxInt32, nil
	}
	b, err := chunk.Budget(r.window, r.s.Overhead(instruction), r.maxNew)
	if err != nil {
		return 0, errclass.AsFatal(err)
	}
	return b, nil
}

// call summarizes texts under one instruction in one batched call (or
// calls of at most MaxBatch tasks) and returns the summaries, trimmed, in
// order.
func (r *run) call(ctx context.Context, instruction string, texts []string) ([]string, error) {
	tasks := make([]infer.Task, len(texts))
	for i, t := range texts {
		tasks[i] = infer.Task{Instruction: instruction, Text: t, MaxNewTokens: r.maxNew}
	}
	batch := len(tasks)
	if r.opts.MaxBatch > 0 {
		batch = r.opts.MaxBatch
	}
	res := make([]infer.Result, 0, len(tasks))
	for lo := 0; lo < len(tasks); lo += batch {
		part := tasks[lo:min(lo+batch, len(tasks))]
		got, err := r.s.Summarize(ctx, part)
		if err != nil {
			return nil, err
		}
		if len(got) != len(part) {
			return nil, fmt.Errorf("summarizer returned %d results for %d tasks", len(got), len(part))
		}
		res = append(res, got...)
	}
	sums := make([]string, len(res))
	for i, x := range res {
		sums[i] = strings.TrimSpace(x.Summary)
		r.out.PromptTokens += x.PromptTokens
		r.out.CompletionTokens += x.CompletionTokens
	}
	r.out.Calls += len(tasks)
	return sums, nil
}

func (r *run) finish(summary string) (*Outcome, error) {
	if summary == "" {
		return nil, ErrEmptySummary
	}
	r.out.Summary = summary
	return r.out, nil
}

// item is one input of a reduce level: a summary with its heading.
type item struct {
	head    string
	summary string
	pages   [2]int // document pages covered (documents)
	leaves  [2]int // leaf indices covered, from 0 (digests)
}

func (it item) text() string { return it.head + "\n\n" + it.summary }

// reduce combines items level by level until one call takes them all.
func (r *run) reduce(ctx context.Context, items []item) (*Outcome, error) {
	for level := 1; ; level++ {
		if level > maxLevels {
			return nil, fmt.Errorf("reduce: %w after %d levels", ErrNoProgress, maxLevels)
		}
		pages := make([]extract.Page, len(items))
		inTokens := 0
		for i, it := range items {
			pages[i] = extract.Page{Number: i + 1, Text: it.text()}
			inTokens += r.s.Tokens(pages[i].Text)
		}
		finalBudget, err := r.budget(r.prompts.final)
		if err != nil {
			return nil, err
		}
		plan, err := chunk.Split(ctx, pages, r.s.Tokens, chunk.Options{Budget: finalBudget, Separator: "\n\n"})
		if err != nil {
			return nil, fmt.Errorf("reduce level %d: %w", level, err)
		}
		final := len(plan.Chunks) == 1
		instruction := r.prompts.final
		if !final {
			instruction = r.prompts.reduce
			budget, err := r.budget(instruction)
			if err != nil {
				return nil, err
			}
			if plan, err = chunk.Split(ctx, pages, r.s.Tokens, chunk.Options{Budget: budget, Separator: "\n\n"}); err != nil {
				return nil, fmt.Errorf("reduce level %d: %w", level, err)
			}
		}
		texts := make([]string, len(plan.Chunks))
		for i, c := range plan.Chunks {
			texts[i] = c.Text
		}
		sums, err := r.call(ctx, instruction, texts)
		if err != nil {
			return nil, fmt.Errorf("reduce level %d (%d groups): %w", level, len(texts), err)
		}
		var lv Level
		next := make([]item, len(plan.Chunks))
		outTokens := 0
		for i, c := range plan.Chunks {
			first, last := c.Pages[0]-1, c.Pages[1]-1
			g := Group{Index: i, Inputs: [2]int{first, last}, Pages: span(items[first].pages, items[last].pages), Tokens: c.Tokens, Summary: sums[i]}
			lv.Groups = append(lv.Groups, g)
			leaves := [2]int{items[first].leaves[0], items[last].leaves[1]}
			head := fmt.Sprintf("## Part %d of %d (%s)", i+1, len(plan.Chunks), pageLabel(g.Pages))
			if g.Pages == [2]int{} {
				head = fmt.Sprintf("## Documents %d to %d", leaves[0]+1, leaves[1]+1)
			}
			next[i] = item{head: head, summary: sums[i], pages: g.Pages, leaves: leaves}
			outTokens += r.s.Tokens(next[i].text())
		}
		r.out.Levels = append(r.out.Levels, lv)
		if final {
			return r.finish(sums[0])
		}
		if len(next) >= len(items) && outTokens >= inTokens {
			return nil, fmt.Errorf("reduce level %d: %w: %d summaries of %d tokens gave %d of %d tokens",
				level, ErrNoProgress, len(items), inTokens, len(next), outTokens)
		}
		items = next
	}
}

// leadingText returns the text of doc's first pages, up to what language
// detection reads.
func leadingText(doc *extract.Document) string {
	var b strings.Builder
	for _, p := range doc.Pages {
		if b.Len() >= langid.Limit {
			break
		}
		b.WriteString(p.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// span returns the page range from a's first page to b's last (zero when
// either is zero).
func span(a, b [2]int) [2]int {
	if a == [2]int{} || b == [2]int{} {
		return [2]int{}
	}
	return [2]int{a[0], b[1]}
}

func pageLabel(p [2]int) string {
	if p[0] == p[1] {
		return fmt.Sprintf("page %d", p[0])
	}
	return fmt.Sprintf("pages %d–%d", p[0], p[1])
}
