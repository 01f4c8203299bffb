package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/llsum/llsum/chunk"
	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/summarize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// chunkOptions are the flags of `llsum chunk`.
type chunkOptions struct {
	Backend      backendFlags
	MaxNewTokens int
	Overlap      int
	JSON         bool
	Extract      extractFlags
}

// AddFlags registers chunk's flags: run's backend flags (--model, --context,
// ...), so that the plan is the one run would use.
func (o *chunkOptions) AddFlags(f *pflag.FlagSet) {
	o.Backend.AddFlags(f)
	f.IntVar(&o.MaxNewTokens, "max-new-tokens", 512, "tokens reserved for each answer")
	f.IntVar(&o.Overlap, "chunk-overlap", 0, "tokens each chunk repeats from the previous one")
	f.BoolVar(&o.JSON, "json", false, "print the plan as JSON, chunk texts included")
	o.Extract.AddFlags(f)
}

func newChunkCmd(g *globalOptions) *cobra.Command {
	var opts chunkOptions
	cmd := &cobra.Command{
		Use:   "chunk [flags] FILE",
		Short: "Show how a document is cut to fit the context window",
		Long: `Show the chunks llsum run would summarize FILE in, with the same backend
flags: for each chunk its index, page range, token count, and first and last
words. A document that fits one model call is one chunk.

Each chunk's text takes at most the budget:
  context window − prompt template − max new tokens − safety margin
tokens, and is cut at the best boundary near an equal share of the document:
a page break, then a blank line or heading, a sentence end, a word boundary,
and only as a last resort inside a word. Tokens are counted with the model's
tokenizer and chat template (--model, or --tokenizer with --endpoint);
without a model, with the extractive backend's approximation (one token per
three bytes of UTF-8).

With --json, print {"budget": N, "chunks": [{"index", "pages": [first,
last], "tokens", "text", "start", "end", "overlap"}]}; start and end are byte
offsets in the text of 'llsum extract', overlap the bytes a chunk repeats
before start.`,
		Example: `  llsum chunk --context 2048 manual.pdf
  llsum chunk --model ~/models/llama-3.2-1b --context 8192 manual.pdf
  llsum chunk --json report.pdf | jq '.chunks[] | {index, pages, tokens}'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("chunk takes exactly one file")
			}
			return nil
		},
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runChunk(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// chunkPlanJSON is the output of `llsum chunk --json`.
type chunkPlanJSON struct {
	Path          string        `json:"path"`
	Pages         int           `json:"pages"`
	ContextWindow int           `json:"context_window"`
	MaxNewTokens  int           `json:"max_new_tokens"`
	TokenCounting string        `json:"token_counting"`
	Budget        int           `json:"budget"`
	Overlap       int           `json:"overlap,omitempty"`
	Chunks        []chunk.Chunk `json:"chunks"`
}

// Finalize checks the flags' ranges and the backend's flag combinations.
func (o *chunkOptions) Finalize() error {
	if o.MaxNewTokens < 1 || o.Overlap < 0 {
		return usagef("--max-new-tokens must be at least 1 and --chunk-overlap not negative")
	}
	return o.Backend.Finalize()
}

// runChunk is `llsum chunk`.
func runChunk(ctx context.Context, g *globalOptions, opts chunkOptions, args []string) error {
	doc, err := extract.File(ctx, args[0], opts.Extract.options())
	if err != nil {
		return documentFailed(err)
	}
	s, err := opts.Backend.open(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	sopts := summarize.Options{ContextWindow: opts.Backend.Context, MaxNewTokens: opts.MaxNewTokens, Overlap: opts.Overlap}
	plan, err := summarize.Plan(ctx, s, doc, sopts)
	if err != nil {
		// Fatal (exit 2) when the window, style or language will not do
		// for any document; else the document failed (exit 1).
		return fmt.Errorf("chunk %s: %w", doc.Path, err)
	}
	info := s.Info()
	window := info.ContextWindow
	if c := opts.Backend.Context; c > 0 && (window <= 0 || c < window) {
		window = c
	}
	if opts.JSON {
		out := chunkPlanJSON{
			Path: doc.Path, Pages: len(doc.Pages), ContextWindow: window, MaxNewTokens: opts.MaxNewTokens,
			TokenCounting: info.TokenCounting, Budget: plan.Budget, Overlap: plan.Overlap, Chunks: plan.Chunks,
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	budget := fmt.Sprint(plan.Budget)
	if plan.Budget >= math.MaxInt32 {
		budget = "no limit"
	}
	chunks := fmt.Sprintf("%d chunks", len(plan.Chunks))
	if len(plan.Chunks) == 1 {
		chunks = "1 chunk"
	}
	fmt.Fprintf(g.stdout, "%s: %d pages, %d tokens in %s; budget %s tokens per chunk (context %d, max new tokens %d, tokens counted: %s)\n",
		doc.Path, len(doc.Pages), plan.Tokens(), chunks, budget, window, opts.MaxNewTokens, info.TokenCounting)
	for _, c := range plan.Chunks {
		first, last := edgeWords(c.Own(), 6)
		fmt.Fprintf(g.stdout, "%5d  %-13s %7d tokens  %q … %q\n", c.Index, pageRange(c.Pages), c.Tokens, first, last)
	}
	return nil
}

// pageRange formats [a, b] as "page a" or "pages a-b".
func pageRange(p [2]int) string {
	if p[0] == p[1] {
		return fmt.Sprintf("page %d", p[0])
	}
	return fmt.Sprintf("pages %d-%d", p[0], p[1])
}

// edgeWords returns the first and the last n words of text, each side cut
// to 40 characters.
func edgeWords(text string, n int) (first, last string) {
	const limit = 40
	words := strings.Fields(text)
	first = strings.Join(words[:min(n, len(words))], " ")
	last = strings.Join(words[max(0, len(words)-n):], " ")
	if r := []rune(first); len(r) > limit {
		first = string(r[:limit]) + "…"
	}
	if r := []rune(last); len(r) > limit {
		last = "…" + string(r[len(r)-limit:])
	}
	return first, last
}
