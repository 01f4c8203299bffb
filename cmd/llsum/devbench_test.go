package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx/enginebench"
)

// TestDevBench runs every part of `llsum dev bench` on the tiny GQA model
// and checks the JSON it prints and writes.
func TestDevBench(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	tmp := t.TempDir()
	wl := filepath.Join(tmp, "workload.json")
	if err := os.WriteFile(wl, []byte(`{"docs":3,"new_tokens":5,"batches":[[20,12,7],[40]]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "bench.json")
	var stdout, stderr bytes.Buffer
	code := execute([]string{"dev", "bench", "--model", dir, "--device", "cpu", "--prefill", "16,64",
		"--decode", "1x32,3x16", "--decode-tokens", "6", "--workload", wl, "--out", out,
		"--ort-profile", filepath.Join(tmp, "ort")}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r enginebench.Result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if r.Device != "cpu" || r.KVMemory != "cpu" || len(r.Prefill) != 2 || len(r.Decode) != 2 || r.E2E == nil {
		t.Fatalf("result %+v", r)
	}
	for _, p := range r.Prefill {
		if p.Error != "" || p.TokS <= 0 {
			t.Errorf("prefill %+v", p)
		}
	}
	for _, d := range r.Decode {
		if d.Error != "" || d.TokS <= 0 || d.StepMs <= 0 || len(d.Digest) != 16 {
			t.Errorf("decode %+v", d)
		}
	}
	// EOS is ignored: every request makes exactly new_tokens tokens.
	if e := r.E2E; e.Error != "" || e.Requests != 4 || e.NewTokens != 4*5 || e.PromptTokens != 20+12+7+40 || e.DocsPerHour <= 0 {
		t.Errorf("workload %+v", e)
	}
	saved, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(bytes.TrimSpace(saved), bytes.TrimSpace(stdout.Bytes())) {
		t.Errorf("--out file differs from stdout (%v)", err)
	}
	// --ort-profile: ONNX Runtime's trace, with a kernel-time event for the
	// attention operator of the decode steps.
	profiles, _ := filepath.Glob(filepath.Join(tmp, "ort_*.json"))
	if len(profiles) != 1 {
		t.Fatalf("--ort-profile wrote %v, want one ort_*.json", profiles)
	}
	trace, err := os.ReadFile(profiles[0])
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Cat  string `json:"cat"`
		Name string `json:"name"`
		Args struct {
			OpName string `json:"op_name"`
		} `json:"args"`
	}
	if err := json.Unmarshal(trace, &events); err != nil {
		t.Fatalf("profile %s: %v", profiles[0], err)
	}
	ops := map[string]int{}
	for _, e := range events {
		if e.Cat == "Node" && strings.HasSuffix(e.Name, "_kernel_time") {
			ops[e.Args.OpName]++
		}
	}
	if ops["GroupQueryAttention"] == 0 {
		t.Errorf("profile has no GroupQueryAttention kernel times: %v", ops)
	}
}

func TestDevBenchErrors(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"dev", "bench", "--model", dir, "--decode", "4"}, "not BATCHxCONTEXT"},
		{[]string{"dev", "bench", "--model", dir, "--prefill", "0"}, "not a positive number"},
		{[]string{"dev", "bench", "--model", dir, "--workload", "/nonexistent/w.json"}, "--workload"},
		{[]string{"dev", "bench", "--model", dir, "--ort-profile", "/nonexistent/dir/p"}, "--ort-profile"},
	} {
		var stdout, stderr bytes.Buffer
		if code := execute(c.args, nil, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr.String(), c.want)
		}
	}
}
