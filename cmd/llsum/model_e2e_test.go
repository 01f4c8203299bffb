package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/testenv"
)

// tinyModel writes a generated tiny Llama model (genai or optimum layout)
// with its tokenizer into a temporary folder.
func tinyModel(t *testing.T, flavour string) string {
	t.Helper()
	return onnxtest.TinyModel(t, flavour)
}

// TestRunWithGeneratedModel summarizes testdata/docs with the ONNX engine on
// generated tiny models of both layouts, end to end through the binary.
func TestRunWithGeneratedModel(t *testing.T) {
	for _, flavour := range []string{"genai", "optimum"} {
		t.Run(flavour, func(t *testing.T) {
			model := tinyModel(t, flavour)
			work := t.TempDir()
			docs := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs")
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
	doc := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	noTok := engineModel(t, "tiny-qwen2-gqa-fp16")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--model", filepath.Join(work, "nope"), doc}, "nope: stat"},
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

// TestRunLongDocumentsChunked: long corpus PDFs run with a small window, so
// they are cut into many chunks and reduced in a tree; the JSON shows the
// chunk tree, chunks cover every page in order, and the digest works.
func TestRunLongDocumentsChunked(t *testing.T) {
	corpus := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "corpus", "pdf")
	type jdoc struct {
		Pages  int `json:"pages"`
		Chunks []struct {
			Index   int    `json:"index"`
			Pages   [2]int `json:"pages"`
			Tokens  int    `json:"tokens"`
			Summary string `json:"summary"`
		} `json:"chunks"`
		Levels []struct {
			Groups []struct {
				Inputs [2]int `json:"inputs"`
			} `json:"groups"`
		} `json:"levels"`
		Budget  int    `json:"budget"`
		Summary string `json:"summary"`
	}
	check := func(t *testing.T, path string, minLevels int) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var d jdoc
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Chunks) < 4 || len(d.Levels) < minLevels || d.Budget <= 0 || d.Summary == "" {
			t.Fatalf("%s: %d chunks, %d levels, budget %d", path, len(d.Chunks), len(d.Levels), d.Budget)
		}
		next := 1
		for i, c := range d.Chunks {
			if c.Index != i || c.Summary == "" || c.Tokens > d.Budget {
				t.Fatalf("%s: chunk %d: %+v (budget %d)", path, i, c, d.Budget)
			}
			if c.Pages[0] > next || c.Pages[0] < next-1 || c.Pages[1] < c.Pages[0] {
				t.Fatalf("%s: chunk %d pages %v after page %d", path, i, c.Pages, next-1)
			}
			next = c.Pages[1] + 1
		}
		if next-1 != d.Pages {
			t.Fatalf("%s: chunks end at page %d of %d", path, next-1, d.Pages)
		}
		top := d.Levels[len(d.Levels)-1]
		if len(top.Groups) != 1 {
			t.Fatalf("%s: top level has %d groups", path, len(top.Groups))
		}
	}

	t.Run("tiny-model", func(t *testing.T) {
		model := tinyModel(t, "genai")
		work := t.TempDir()
		r := runLLSum(t, work, "run", "--model", model, "--device", "cpu", "--context", "1024", "--max-new-tokens", "24",
			"--digest", "digest", filepath.Join(corpus, "R-FAQ.pdf"), filepath.Join(corpus, "lo-table.pdf"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		check(t, filepath.Join(work, "summaries", "R-FAQ.pdf.json"), 2)
		for _, f := range []string{"digest.md", "digest.json"} {
			if st, err := os.Stat(filepath.Join(work, f)); err != nil || st.Size() == 0 {
				t.Fatalf("digest output %s: %v", f, err)
			}
		}
	})
	t.Run("extractive-huge", func(t *testing.T) {
		if testing.Short() {
			t.Skip("2,415-page manual: not in -short")
		}
		work := t.TempDir()
		r := runLLSum(t, work, "run", "-q", "--context", "2048", "--digest", "digest.md",
			filepath.Join(corpus, "R-fullrefman.pdf"), filepath.Join(corpus, "R-intro.pdf"))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		check(t, filepath.Join(work, "summaries", "R-fullrefman.pdf.json"), 2)
		data, err := os.ReadFile(filepath.Join(work, "digest.json"))
		if err != nil || !strings.Contains(string(data), `"R-intro.pdf"`) {
			t.Fatalf("digest.json: %v %.200s", err, data)
		}
	})
}

// TestRunIgnoreEOS: the hidden benchmark switch makes every summary exactly
// --max-new-tokens long.
func TestRunIgnoreEOS(t *testing.T) {
	model := tinyModel(t, "genai")
	work := t.TempDir()
	doc := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	r := runLLSum(t, work, "run", "-q", "--model", model, "--device", "cpu", "--max-new-tokens", "40", "--ignore-eos", doc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(work, "summaries", "meeting-notes.txt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Tokens struct{ Completion int } `json:"tokens"`
	}
	if err := json.Unmarshal(data, &d); err != nil || d.Tokens.Completion != 40 {
		t.Fatalf("completion tokens %d (%v), want 40", d.Tokens.Completion, err)
	}
}
