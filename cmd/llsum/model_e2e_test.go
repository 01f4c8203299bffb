package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/genmodel"
)

// tinyModel writes a generated tiny Llama model (genai or optimum layout)
// with its tokenizer into a temporary folder.
func tinyModel(t *testing.T, flavour string) string {
	t.Helper()
	engineModel(t, "tiny-qwen2-gqa-fp16") // fails in CI, skips locally, without ORT
	dir := filepath.Join(t.TempDir(), "tiny-"+flavour)
	cfg := genmodel.Tiny()
	cfg.Flavour = flavour
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunWithGeneratedModel summarizes testdata/docs with the ONNX engine on
// generated tiny models of both layouts, end to end through the binary.
func TestRunWithGeneratedModel(t *testing.T) {
	for _, flavour := range []string{"genai", "optimum"} {
		t.Run(flavour, func(t *testing.T) {
			model := tinyModel(t, flavour)
			work := t.TempDir()
			docs := filepath.Join(repoRoot(t), "testdata", "docs")
			r := runLLSum(t, work, "run", "--model", model, "--device", "cpu", "--max-new-tokens", "16", "-j", "2", docs)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "extractive") {
				t.Fatalf("fell back to extractive:\n%s", r.stderr)
			}
			idx := readIndex(t, filepath.Join(work, "summaries"))
			if idx.Counts.OK != 4 || idx.Model.Backend != "onnx" || idx.Model.TokenCounting != "tokenizer" || idx.Model.Identity == "" {
				t.Fatalf("index: %+v %+v", idx.Counts, idx.Model)
			}
			data, err := os.ReadFile(filepath.Join(work, "summaries", "solar-energy.pdf.json"))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Backend string `json:"backend"`
				Summary string `json:"summary"`
				Tokens  struct {
					Prompt, Completion int
				} `json:"tokens"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Backend != "onnx" || doc.Summary == "" || doc.Tokens.Prompt < 100 || doc.Tokens.Completion < 1 || doc.Tokens.Completion > 16 {
				t.Fatalf("document JSON: %+v", doc)
			}
			// Greedy decoding is reproducible: a forced second run writes the
			// same summary.
			r = runLLSum(t, work, "run", "--force", "--model", model, "--device", "cpu", "--max-new-tokens", "16", "-j", "1", "--out", "again", docs)
			if r.code != 0 {
				t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
			}
			again, _ := os.ReadFile(filepath.Join(work, "again", "solar-energy.pdf.json"))
			var doc2 struct{ Summary string }
			json.Unmarshal(again, &doc2)
			if doc2.Summary != doc.Summary {
				t.Fatalf("greedy summaries differ between runs (-j 2 vs -j 1):\n%q\n%q", doc.Summary, doc2.Summary)
			}
		})
	}
}

func TestRunModelErrors(t *testing.T) {
	work := t.TempDir()
	doc := filepath.Join(repoRoot(t), "testdata", "docs", "meeting-notes.txt")
	noTok := engineModel(t, "tiny-qwen2-gqa-fp16")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--model", filepath.Join(work, "nope"), doc}, "nope"},
		{[]string{"run", "--model", noTok, doc}, "no tokenizer.json"},
		{[]string{"run", "--backend", "onnx", doc}, "needs --model"},
		{[]string{"run", "--backend", "openai", doc}, "needs --endpoint"},
		{[]string{"run", "--backend", "magic", doc}, "want onnx, openai or extractive"},
	} {
		r := runLLSum(t, work, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
