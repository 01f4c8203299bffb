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

	"github.com/llsum/llsum/chunk"
	"github.com/llsum/llsum/infer"
)

// The summarizers below are deterministic test fixtures for the map-reduce
// logic, not stand-ins for an engine: each computes a real (if simple)
// summary of its input, counts tokens with chunk.ApproxTokens, enforces the
// context window the way an engine must (a prompt that does not fit is an
// error), and records every task it was given.

type fixture struct {
	window int
	name   string
	fn     func(text string, maxNew int) string

	mu    sync.Mutex
	calls [][]infer.Task
}

func (f *fixture) Summarize(ctx context.Context, tasks []infer.Task) ([]infer.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(tasks))
	f.mu.Unlock()
	out := make([]infer.Result, len(tasks))
	for i, t := range tasks {
		prompt := f.Overhead(t.Instruction) + f.Tokens(t.Text)
		if f.window > 0 && prompt+t.MaxNewTokens > f.window {
			return nil, fmt.Errorf("task %d: prompt of %d tokens and %d new tokens exceed the window of %d", i, prompt, t.MaxNewTokens, f.window)
		}
		s := f.fn(t.Text, t.MaxNewTokens)
		out[i] = infer.Result{Summary: s, Stop: infer.StopEOS, PromptTokens: prompt, CompletionTokens: f.Tokens(s)}
	}
	return out, nil
}

func (f *fixture) Tokens(text string) int { return chunk.ApproxTokens(text) }

// Overhead is the instruction and a chat template of 12 tokens.
func (f *fixture) Overhead(instruction string) int { return 12 + chunk.ApproxTokens(instruction) }

func (f *fixture) Info() infer.ModelInfo {
	return infer.ModelInfo{Backend: f.name, ContextWindow: f.window, TokenCounting: "approx"}
}

func (f *fixture) Close() error { return nil }

var tagRe = regexp.MustCompile(`#(\d+)(?:-#(\d+))?`)

// tagSummarizer summarizes a text as the set of tags (#123) it contains,
// written as ranges ("#1-#40 #43"), which it also reads. The test documents carry tags, so the
// final summary shows whether every chunk reached it.
func tagSummarizer(window int) *fixture {
	return &fixture{window: window, name: "tags", fn: func(text string, maxNew int) string {
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
	}}
}

// leadSummarizer summarizes a text by its first sentence (headings
// skipped), cut to the answer length.
func leadSummarizer(window int) *fixture {
	return &fixture{window: window, name: "lead", fn: func(text string, maxNew int) string {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, "## ") {
				lines = append(lines, l)
			}
		}
		body := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
		if i := strings.Index(body, ". "); i >= 0 {
			body = body[:i+1]
		}
		return truncate(body, maxNew)
	}}
}

// echoSummarizer returns the text as it is: a summarizer that never
// shortens anything.
func echoSummarizer(window int) *fixture {
	return &fixture{window: window, name: "echo", fn: func(text string, maxNew int) string { return text }}
}

// truncate cuts s to its longest prefix of whole words that takes at most
// maxNew tokens.
func truncate(s string, maxNew int) string {
	if chunk.ApproxTokens(s) <= maxNew {
		return s
	}
	words := strings.Fields(s)
	n := sort.Search(len(words)+1, func(n int) bool {
		return chunk.ApproxTokens(strings.Join(words[:n], " ")) > maxNew
	})
	return strings.Join(words[:n-1], " ")
}
