package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/faithful"
	"github.com/llsum/llsum/internal/structured"
	sumz "github.com/llsum/llsum/summarize"
	"github.com/llsum/llsum/summarize/cite"
	"github.com/llsum/llsum/summarize/trust"
)

// outcome is a document's summary with its parts.
type outcome struct {
	Summary string
	Chunks  []ChunkJSON
	Levels  []sumz.Level
	Budget  int
	Tokens  TokenCounts

	Language string // detected in the document
	// Structured, Citations and Faithfulness as in DocumentJSON; Warnings
	// are the faithfulness warnings and dropped citations as lines.
	Structured   json.RawMessage
	Citations    []cite.Point
	Faithfulness []faithful.Warning
	Warnings     []string
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
		Schema:        p.SchemaDoc,
		Citations:     !p.NoCitations,
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
		Levels: out.Levels,
		Budget: out.Budget,
		Tokens: TokenCounts{Prompt: out.PromptTokens, Completion: out.CompletionTokens},
	}
	var md string
	if md, o.Structured, err = structuredOutput(p, out.Summary); err != nil {
		return nil, err
	}
	if o.Structured != nil {
		// Faithfulness offsets then point into `structured`.
		out.Summary = string(o.Structured)
	}
	rep := trust.Apply(doc, out, trust.Options{Citations: !p.NoCitations, Extractive: s.Info().Backend == "extractive", Structured: p.SchemaDoc != nil})
	o.Summary = out.Summary
	if o.Structured != nil {
		o.Summary = md
	}
	o.Citations, o.Faithfulness, o.Warnings = rep.Citations, rep.Faithfulness, rep.Dropped
	for _, w := range rep.Faithfulness {
		o.Warnings = append(o.Warnings, w.String())
	}
	o.Language = out.Language
	if len(out.Chunks) > 1 {
		for _, c := range out.Chunks {
			o.Chunks = append(o.Chunks, ChunkJSON{Index: c.Index, Pages: c.Pages, Tokens: c.Tokens, Summary: c.Summary})
		}
	}
	return o, nil
}

// structuredOutput splits a --schema summary into its JSON value (compact)
// and its Markdown rendering; without a schema the summary is returned as
// it is.
func structuredOutput(p Parameters, summary string) (string, json.RawMessage, error) {
	if p.SchemaDoc == nil {
		return summary, nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(summary)); err != nil {
		return "", nil, fmt.Errorf("structured summary: %w", err)
	}
	md, err := structured.Markdown(summary)
	if err != nil {
		return "", nil, err
	}
	return strings.TrimSpace(md), b.Bytes(), nil
}
