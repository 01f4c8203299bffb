package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/testenv"
)

func TestChunkCommandJSON(t *testing.T) {
	path := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "corpus", "pdf", "R-FAQ.pdf")
	var out, errb bytes.Buffer
	g := &globalOptions{stdout: &out, stderr: &errb}
	opts := chunkOptions{Backend: backendFlags{Context: 1024}, MaxNewTokens: 128, Overlap: 32, JSON: true, Extract: extractFlags{PDFEngine: "auto"}}
	if err := runChunk(context.Background(), g, opts, []string{path}); err != nil {
		t.Fatal(err)
	}
	var plan chunkPlanJSON
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil {
		t.Fatal(err)
	}
	doc, err := extract.File(context.Background(), path, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := doc.Text()
	// 1024 − 128 − margin 26 (the extractive backend has no prompt)
	if plan.Budget != 870 || plan.ContextWindow != 1024 || plan.Pages != 52 || len(plan.Chunks) < 20 {
		t.Fatalf("budget %d, window %d, pages %d, %d chunks", plan.Budget, plan.ContextWindow, plan.Pages, len(plan.Chunks))
	}
	var own strings.Builder
	for i, c := range plan.Chunks {
		if c.Index != i || c.Tokens != extractive.ApproxTokens(c.Text) || c.Tokens > plan.Budget || c.Own() == "" {
			t.Fatalf("chunk %d: index %d, %d tokens (budget %d)", i, c.Index, c.Tokens, plan.Budget)
		}
		if i > 0 && (c.Pages[0] < plan.Chunks[i-1].Pages[1] || c.Pages[0] > plan.Chunks[i-1].Pages[1]+1) {
			t.Fatalf("chunk %d pages %v after %v", i, c.Pages, plan.Chunks[i-1].Pages)
		}
		if c.Text != text[c.Start-c.Overlap:c.End] {
			t.Fatalf("chunk %d is not the extracted text at its offsets", i)
		}
		own.WriteString(c.Own())
	}
	if own.String() != text {
		t.Fatal("the chunks do not reassemble the document")
	}
	if p := plan.Chunks[len(plan.Chunks)-1].Pages; plan.Chunks[0].Pages[0] != 1 || p[1] != 52 {
		t.Fatalf("pages %v..%v", plan.Chunks[0].Pages, p)
	}
}

func TestChunkCommandText(t *testing.T) {
	path := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "guides", "getting-started.md")
	var out, errb bytes.Buffer
	g := &globalOptions{stdout: &out, stderr: &errb}
	if err := runChunk(context.Background(), g, chunkOptions{MaxNewTokens: 512, Extract: extractFlags{PDFEngine: "auto"}}, []string{path}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "in 1 chunk; budget 7583 tokens per chunk (context 8192, max new tokens 512, tokens counted: approx)") ||
		!strings.HasPrefix(strings.TrimSpace(lines[1]), "0  page 1 ") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestChunkCommandErrors(t *testing.T) {
	g := &globalOptions{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	missing := filepath.Join(t.TempDir(), "missing.pdf")
	err := runChunk(context.Background(), g, chunkOptions{MaxNewTokens: 512, Extract: extractFlags{PDFEngine: "auto"}}, []string{missing})
	code := func(err error) int { c, _ := exitCode(context.Background(), err); return c }
	if code(err) != exitDocFailed || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	err = runChunk(context.Background(), g, chunkOptions{Backend: backendFlags{Context: 300}, MaxNewTokens: 512, Extract: extractFlags{PDFEngine: "auto"}}, []string{path})
	if code(err) != exitUsage || !strings.Contains(err.Error(), "context window too small") || !strings.Contains(err.Error(), "meeting-notes.txt") {
		t.Fatalf("small window: %v", err)
	}
	bad := chunkOptions{MaxNewTokens: 0}
	if err = bad.Finalize(); code(err) != exitUsage {
		t.Fatalf("bad flags: %v", err)
	}
	if r := runLLSum(t, testenv.ModuleRoot(t), "chunk", "--context", "1024", "testdata/docs/solar-energy.pdf"); r.code != 0 || !strings.Contains(r.stdout, "testdata/docs/solar-energy.pdf: 2 pages") {
		t.Fatalf("llsum chunk: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestChunkCommandModel plans with a generated tiny model's tokenizer and
// chat template: the counts are the ONNX backend's, the budget leaves room
// for its prompt.
func TestChunkCommandModel(t *testing.T) {
	model := tinyModel(t, "genai")
	path := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "corpus", "pdf", "R-FAQ.pdf")
	var out, errb bytes.Buffer
	g := &globalOptions{stdout: &out, stderr: &errb}
	bf := backendFlags{modelFlags: modelFlags{Model: model, Device: "cpu"}, Context: 1024}
	opts := chunkOptions{Backend: bf, MaxNewTokens: 64, JSON: true, Extract: extractFlags{PDFEngine: "auto"}}
	if err := runChunk(context.Background(), g, opts, []string{path}); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var plan chunkPlanJSON
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil {
		t.Fatal(err)
	}
	s, err := bf.open(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if plan.TokenCounting != "tokenizer" || plan.ContextWindow != 1024 {
		t.Fatalf("counting %q, window %d", plan.TokenCounting, plan.ContextWindow)
	}
	// The prompt (template, instruction, document markers) takes its share.
	if max := 1024 - 64 - 26; plan.Budget >= max-100 || plan.Budget < 200 {
		t.Fatalf("budget %d: want the prompt's tokens taken from %d", plan.Budget, max)
	}
	for _, c := range plan.Chunks {
		if n := s.Tokens(c.Text); n != c.Tokens || n > plan.Budget {
			t.Fatalf("chunk %d: %d tokens by the model's count, %d in the plan, budget %d", c.Index, n, c.Tokens, plan.Budget)
		}
	}
	t.Logf("budget %d, %d chunks", plan.Budget, len(plan.Chunks))
}
