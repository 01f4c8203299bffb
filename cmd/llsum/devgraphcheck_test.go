package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// TestCUDAGraphFlagOnCPU: --cuda-graph on a CPU session says once that it
// runs without graphs and gives the same tokens.
func TestCUDAGraphFlagOnCPU(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	var outs [2]string
	for i, extra := range [][]string{nil, {"--cuda-graph"}} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"generate", "--model", dir, "--device", "cpu", "--input-ids", "5,6,7", "--max-new-tokens", "6", "--json"}, extra...)
		if code := execute(args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr.String())
		}
		var r struct {
			OutputIDs []int `json:"output_ids"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || len(r.OutputIDs) != 6 {
			t.Fatalf("%v: %v: %s", extra, err, stdout.String())
		}
		outs[i] = fmt.Sprint(r.OutputIDs)
		if n := strings.Count(stderr.String(), "CUDA graphs need"); n != i {
			t.Errorf("%v: %d graph notices: %s", extra, n, stderr.String())
		}
	}
	if outs[0] != outs[1] {
		t.Errorf("tokens differ:\n%s\n%s", outs[0], outs[1])
	}
}
