package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx"
)

// TestDevGraphCheck runs `llsum dev graph-check` on CPU (static-step layout
// against the plain path) and checks the JSON and the verdict lines.
func TestDevGraphCheck(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	var stdout, stderr bytes.Buffer
	code := execute([]string{"dev", "graph-check", "--model", dir, "--device", "cpu", "--batches", "1,3",
		"--context", "24", "--tokens", "5"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var checks []onnx.GraphCheck
	if err := json.Unmarshal(stdout.Bytes(), &checks); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if len(checks) != 2 || checks[0].Batch != 1 || checks[1].Batch != 3 {
		t.Fatalf("%+v", checks)
	}
	for _, c := range checks {
		if !c.IDsEqual || c.Compared != c.Batch*5 || c.Argmax != [2]string{"host", "device"} {
			t.Errorf("%+v", c)
		}
	}
	if n := strings.Count(stderr.String(), "llsum: graph-check: batch "); n != 2 {
		t.Errorf("%d verdict lines: %s", n, stderr.String())
	}
	code = execute([]string{"dev", "graph-check", "--model", dir, "--batches", "0"}, nil, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("--batches 0: exit %d", code)
	}
}
