package pipeline

import (
	"context"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	sumz "github.com/llsum/llsum/summarize"
)

// outcome is a document's summary with its parts.
type outcome struct {
	Summary string
	Chunks  []ChunkJSON
	Levels  []sumz.Level
	Budget  int
	Tokens  TokenCounts

	Language string // detected in the document
}

// summaryOptions maps the run's parameters to the summarize stage's.
func summaryOptions(p Parameters) sumz.Options {
	return sumz.Options{
		Style:         p.Style,
		Prompt:        p.Instruction,
		Lang:          p.Lang,
		ContextWindow: p.Context,
		MaxNewTokens:  p.MaxNewTokens,
		Overlap:       p.ChunkOverlap,
		MaxBatch:      mapBatch,
	}
}

// mapBatch bounds the chunks summarized by one Summarize call. A 2,000-page
// manual has thousands of chunks; handing them to the engine all at once
// keeps every request's prompt ids and results alive together, while the
// engine batches only a few at a time anyway.
const mapBatch = 32

// summarize runs the summarization stage for one document: one call when
// it fits the window, else map-reduce over its chunks (summarize package).
func summarize(ctx context.Context, s infer.Summarizer, doc *extract.Document, p Parameters) (*outcome, error) {
	out, err := sumz.Document(ctx, s, doc, summaryOptions(p))
	if err != nil {
		return nil, err
	}
	o := &outcome{
		Summary: out.Summary,
		Levels:  out.Levels,
		Budget:  out.Budget,
		Tokens:  TokenCounts{Prompt: out.PromptTokens, Completion: out.CompletionTokens},
	}
	o.Language = out.Language
	if len(out.Chunks) > 1 {
		for _, c := range out.Chunks {
			o.Chunks = append(o.Chunks, ChunkJSON{Index: c.Index, Pages: c.Pages, Tokens: c.Tokens, Summary: c.Summary})
		}
	}
	return o, nil
}
