package summarize

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/extractive"
)

// recorder runs a real Summarizer, records every batch of tasks it is
// given, and enforces the context window: a prompt (Overhead + Tokens of
// the text) plus MaxNewTokens larger than the window is an error, and so is
// a result whose PromptTokens (the prompt the backend really built) plus
// MaxNewTokens is, or that stopped at the context limit.
type recorder struct {
	infer.Summarizer
	window int

	mu    sync.Mutex
	calls [][]infer.Task
}

func record(s infer.Summarizer, window int) *recorder {
	return &recorder{Summarizer: s, window: window}
}

func (r *recorder) Summarize(ctx context.Context, tasks []infer.Task) ([]infer.Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(tasks))
	r.mu.Unlock()
	for i, t := range tasks {
		prompt := r.Overhead(t.Instruction) + r.Tokens(t.Text)
		if r.window > 0 && prompt+t.MaxNewTokens > r.window {
			return nil, fmt.Errorf("task %d: prompt of %d tokens and %d new tokens exceed the window of %d", i, prompt, t.MaxNewTokens, r.window)
		}
	}
	res, err := r.Summarizer.Summarize(ctx, tasks)
	if err != nil {
		return nil, err
	}
	for i, x := range res {
		// The backend's own account of the prompt it built.
		if r.window > 0 && (x.PromptTokens+tasks[i].MaxNewTokens > r.window || x.Stop == infer.StopContext) {
			return nil, fmt.Errorf("task %d: the backend's prompt of %d tokens and %d new tokens exceed the window of %d (stop %q)",
				i, x.PromptTokens, tasks[i].MaxNewTokens, r.window, x.Stop)
		}
	}
	return res, nil
}

func (r *recorder) Info() infer.ModelInfo {
	info := r.Summarizer.Info()
	info.ContextWindow = r.window
	return info
}

// funcSummarizer is a deterministic summarizer for testing the tree logic
// where the content of summaries must be predictable: fn computes a real
// (if simple) summary of the text. Tokens are the extractive backend's
// approximation; the prompt template takes 12 tokens plus the instruction.
type funcSummarizer struct {
	name string
	fn   func(text string, maxNew int) string
}

func (f funcSummarizer) Summarize(ctx context.Context, tasks []infer.Task) ([]infer.Result, error) {
	out := make([]infer.Result, len(tasks))
	for i, t := range tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := f.fn(t.Text, t.MaxNewTokens)
		out[i] = infer.Result{Summary: s, Stop: infer.StopEOS, PromptTokens: f.Overhead(t.Instruction) + f.Tokens(t.Text), CompletionTokens: f.Tokens(s)}
	}
	return out, nil
}

func (f funcSummarizer) Tokens(text string) int { return extractive.ApproxTokens(text) }

func (f funcSummarizer) Overhead(instruction string) int {
	return 12 + extractive.ApproxTokens(instruction)
}

func (f funcSummarizer) Info() infer.ModelInfo {
	return infer.ModelInfo{Backend: f.name, TokenCounting: "approx"}
}

func (f funcSummarizer) Close() error { return nil }

var tagRe = regexp.MustCompile(`#(\d+)(?:-#(\d+))?`)

// tagSummarizer summarizes a text as the set of tags (#123) it contains,
// written as ranges ("#1-#40 #43"), which it also reads. The test documents
// carry tags, so the final summary shows whether every chunk reached it.
func tagSummarizer(window int) *recorder {
	return record(funcSummarizer{name: "tags", fn: func(text string, maxNew int) string {
		var tags []int
		for _, m := range tagRe.FindAllStringSubmatch(text, -1) {
			a, _ := strconv.Atoi(m[1])
			b := a
			if m[2] != "" {
				b, _ = strconv.Atoi(m[2])
			}
			for n := a; n <= b; n++ {
				tags = append(tags, n)
			}
		}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		var parts []string
		for i := 0; i < len(tags); {
			j := i
			for j+1 < len(tags) && tags[j+1] == tags[j]+1 {
				j++
			}
			if j > i {
				parts = append(parts, fmt.Sprintf("#%d-#%d", tags[i], tags[j]))
			} else {
				parts = append(parts, fmt.Sprintf("#%d", tags[i]))
			}
			i = j + 1
		}
		return truncate(strings.Join(parts, " "), maxNew)
	}}, window)
}

// echoSummarizer returns the text as it is: a summarizer that never
// shortens anything.
func echoSummarizer(window int) *recorder {
	return record(funcSummarizer{name: "echo", fn: func(text string, maxNew int) string { return text }}, window)
}

// truncate cuts s to its longest prefix of whole words that takes at most
// maxNew tokens.
func truncate(s string, maxNew int) string {
	if extractive.ApproxTokens(s) <= maxNew {
		return s
	}
	words := strings.Fields(s)
	n := sort.Search(len(words)+1, func(n int) bool {
		return extractive.ApproxTokens(strings.Join(words[:n], " ")) > maxNew
	})
	return strings.Join(words[:n-1], " ")
}
