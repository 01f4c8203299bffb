// Package multilingual_test runs the llsum binary with the built-in
// extractive backend on a 12-sentence document in each language Llama 3.2
// supports officially (testdata/SOURCES.md names where the text comes
// from), and checks the summaries and the detected languages.
package multilingual_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/segment"
)

var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "llsum-multilingual-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "llsum")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/llsum/llsum/cmd/llsum")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build llsum: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// langs are the eight languages, by the name of their document.
var langs = []string{"en", "de", "fr", "it", "pt", "es", "hi", "th"}

// document is the part of the per-document JSON the test reads.
type document struct {
	Summary    string `json:"summary"`
	Language   string `json:"language"`
	Parameters struct {
		Lang string `json:"lang"`
	} `json:"parameters"`
}

func runLLSum(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run", "--backend", "extractive"}, args...)...)
	cmd.Env = append(os.Environ(), "LLSUM_NO_PROGRESS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("llsum %v: %v\n%s", args, err, out)
	}
}

func readDocument(t *testing.T, path string) document {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// TestSummaryIsSentenceSubset: for each language, the document has 12
// sentences; its summary is made of some of them (not all), whole and in
// document order, keeps at most 60 % of the text, and the JSON names the
// detected language beside the requested "auto".
func TestSummaryIsSentenceSubset(t *testing.T) {
	in, _ := filepath.Abs("testdata")
	out := t.TempDir()
	runLLSum(t, "-o", out, in)
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(in, lang+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			sents := segment.Sentences(string(src), lang)
			if len(sents) != 12 {
				t.Fatalf("the document has %d sentences, want 12: %q", len(sents), sents)
			}
			d := readDocument(t, filepath.Join(out, lang+".txt.json"))
			if d.Language != lang || d.Parameters.Lang != "auto" {
				t.Errorf("language %q, requested %q; want %q beside auto", d.Language, d.Parameters.Lang, lang)
			}
			kept := subsequence(d.Summary, sents)
			if kept == nil {
				t.Fatalf("summary is not made of the document's sentences in order:\n%s", d.Summary)
			}
			if len(kept) == 0 || len(kept) >= len(sents) {
				t.Errorf("summary keeps %d of %d sentences", len(kept), len(sents))
			}
			if share := float64(len(d.Summary)) / float64(len(src)); share > 0.60 {
				t.Errorf("summary keeps %.0f%% of the text, want at most 60%%", share*100)
			}
			t.Logf("%s: %d of 12 sentences, %.0f%% of the text", lang, len(kept), 100*float64(len(d.Summary))/float64(len(src)))
		})
	}
}

// subsequence returns the indexes of the sentences summary is made of,
// joined by single spaces in document order, or nil when it is not.
func subsequence(summary string, sents []string) []int {
	kept := []int{}
	rest := summary
	for i, s := range sents {
		if strings.HasPrefix(rest, s) && (len(rest) == len(s) || rest[len(s)] == ' ') {
			kept = append(kept, i)
			rest = strings.TrimPrefix(rest[len(s):], " ")
		}
	}
	if rest != "" {
		return nil
	}
	return kept
}

// TestRequestedLanguageBesideDetected: --lang names the language asked for;
// the JSON still records the one detected.
func TestRequestedLanguageBesideDetected(t *testing.T) {
	in := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "de.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "de.txt"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	runLLSum(t, "--lang", "en", "-o", out, in)
	d := readDocument(t, filepath.Join(out, "de.txt.json"))
	if d.Language != "de" || d.Parameters.Lang != "en" {
		t.Errorf("language %q, requested %q; want de beside en", d.Language, d.Parameters.Lang)
	}
}
