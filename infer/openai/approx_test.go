package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/testenv"
)

// sharedDir finds ../shared beside the module root; without it the test
// fails under CI and skips locally.
func sharedDir(t *testing.T) string {
	t.Helper()
	testenv.Shared(t, "vectors")
	return testenv.Shared(t)
}

// readVectors decodes shared/vectors/name into v.
func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sharedDir(t), "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestApproxTokensBound: the estimate is never below the real Llama 3 token
// count of any reference string, and not wildly above it on prose.
func TestApproxTokensBound(t *testing.T) {
	var v struct {
		Cases []struct {
			ID       string `json:"id"`
			Category string `json:"category"`
			Text     string `json:"text"`
			IDs      []int  `json:"ids"`
		} `json:"cases"`
	}
	readVectors(t, "llama3-tokenizer.json", &v)
	if len(v.Cases) < 100 {
		t.Fatalf("only %d cases", len(v.Cases))
	}
	est, real := map[string]int{}, map[string]int{}
	for _, c := range v.Cases {
		got := approxTokens(c.Text)
		if got < len(c.IDs) {
			t.Errorf("%s (%s): estimate %d < real %d for %q", c.ID, c.Category, got, len(c.IDs), c.Text)
		}
		est[c.Category] += got
		real[c.Category] += len(c.IDs)
	}
	for cat := range est {
		ratio := float64(est[cat]) / float64(max(1, real[cat]))
		t.Logf("%-20s estimate/real = %.2f", cat, ratio)
		if (cat == "document" || cat == "english_prose_misc") && ratio > 2.5 {
			t.Errorf("%s: estimate is %.2f× the real count, too coarse to chunk with", cat, ratio)
		}
	}
}

// TestApproxChatTokensBound: the same for whole rendered chats (template
// tokens included) of both Llama 3 templates.
func TestApproxChatTokensBound(t *testing.T) {
	var v struct {
		Cases []struct {
			ID       string          `json:"id"`
			Messages []infer.Message `json:"messages"`
			IDs      []int           `json:"ids"`
		} `json:"cases"`
	}
	readVectors(t, "llama3-chat-template.json", &v)
	if len(v.Cases) == 0 {
		t.Fatal("no chat cases")
	}
	for _, c := range v.Cases {
		if got := approxChatTokens(c.Messages); got < len(c.IDs) {
			t.Errorf("%s: estimate %d < real %d", c.ID, got, len(c.IDs))
		}
	}
}

func TestApproxTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"a", 1},
		{"the cat sat", 3},             // one token per short word, spaces merged
		{"abcdefghijklm", 7},           // 13 letters: a long run costs 1 per 2
		{"1 2 3", 5},                   // digits one each, a space before a digit is its own token
		{"x\n\n\n\ny", 3},              // a newline run of 4 is one token
		{"héllo", 4},                   // h, é (1.5), llo, rounded up
		{"漢字", 4},                      // Han: 2 each
		{"\u0301", 2},                  // combining mark: 2
		{"😀", 4},                       // 4-byte: 4
		{"ﬁ", 3},                       // 3-byte outside CJK: 3
		{string([]byte{0xff, 'a'}), 2}, // invalid byte: 1, then a
		{"Hello, world!", 6},           // Hello (2), ",", world (2, its space merged), "!"
	}
	for _, tt := range tests {
		if got := approxTokens(tt.in); got != tt.want {
			t.Errorf("approxTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
