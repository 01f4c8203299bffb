package pipeline

import (
	"context"
	"errors"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
)

// outcome is a document's summary with its parts.
type outcome struct {
	Summary string
	Chunks  []ChunkJSON
	Tokens  TokenCounts
}

// summarize runs the summarization stage for one document.
func summarize(ctx context.Context, s infer.Summarizer, doc *extract.Document, p Parameters) (*outcome, error) {
	res, err := s.Summarize(ctx, []infer.Task{{
		Instruction:  p.Instruction,
		Text:         doc.Text(),
		MaxNewTokens: p.MaxNewTokens,
	}})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 || res[0].Summary == "" {
		return nil, errors.New("the summarizer returned no summary")
	}
	return &outcome{
		Summary: res[0].Summary,
		Tokens:  TokenCounts{Prompt: res[0].PromptTokens, Completion: res[0].CompletionTokens},
	}, nil
}
