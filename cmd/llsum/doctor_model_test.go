package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx/onnxtest"
)

// doctor at a repository root names the variant a run would pick, and an
// incomplete download fails it, naming the short file.
func TestDoctorRepoRootAndIncomplete(t *testing.T) {
	onnxtest.NeedRuntime(t)
	root := t.TempDir()
	cpu := filepath.Join(root, "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4")
	for _, args := range [][]string{
		{"--dtype", "int4", "--external-data", "--out", cpu},
		{"--dtype", "fp16", "--out", filepath.Join(root, "cuda", "cuda-fp16")},
	} {
		var out, errb bytes.Buffer
		if code := execute(append([]string{"-q", "dev", "gen-model"}, args...), nil, &out, &errb); code != 0 {
			t.Fatalf("gen-model %v: exit %d: %s", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := execute([]string{"doctor", "--model", root, "--device", "cpu"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "(variant cpu-int4-rtn-block-32-acc-level-4)") ||
		!strings.Contains(errb.String(), "using variant cpu-int4-rtn-block-32-acc-level-4 (cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4) for cpu, of: cpu-int4-rtn-block-32-acc-level-4, cuda-fp16") {
		t.Errorf("doctor at the root:\n%s%s", out.String(), errb.String())
	}
	data := filepath.Join(cpu, "model.onnx.data")
	if err := os.Truncate(data, 12345); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code := execute([]string{"doctor", "--model", root, "--device", "cpu"}, nil, &out, &errb)
	if code == 0 || !strings.Contains(out.String(), "INVALID") || !strings.Contains(errb.String(), "incomplete download: "+data+" is 12345 of ") {
		t.Errorf("incomplete: exit %d\n%s%s", code, out.String(), errb.String())
	}
}
