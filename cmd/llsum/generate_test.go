package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/testenv"
)

// engineModel returns ../shared/models/NAME, skipping (locally) or failing
// (CI) when ONNX Runtime or the shared folder is missing.
func engineModel(t *testing.T, name string) string {
	t.Helper()
	onnxtest.NeedRuntime(t)
	return testenv.Shared(t, "models", name)
}

func TestGenerateJSON(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	var out, errb bytes.Buffer
	code := execute([]string{"generate", "--model", dir, "--device", "cpu", "--input-ids", "5,6,7", "--max-new-tokens", "6", "--json"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r generateOutput
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(r.InputIDs) != 3 || len(r.OutputIDs) == 0 || len(r.OutputIDs) > 6 || (r.Stop != "length" && r.Stop != "eos") || r.PrefillMs <= 0 {
		t.Errorf("result %+v", r)
	}
	for _, k := range []string{`"input_ids"`, `"output_ids"`, `"stop"`, `"prefill_ms"`, `"decode_tokens_per_s"`} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("JSON lacks %s: %s", k, out.String())
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--model", dir}, "exactly one of --prompt or --input-ids"},
		{[]string{"generate", "--model", dir, "--input-ids", "1,x"}, `"x" is not a token id`},
		{[]string{"generate", "--model", t.TempDir(), "--input-ids", "1"}, "neither genai_config.json nor config.json"},
		{[]string{"generate", "--model", dir, "--input-ids", "1", "--device", "tpu"}, `device "tpu"`},
	} {
		var out, errb bytes.Buffer
		code := execute(c.args, nil, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errb.String(), c.want)
		}
	}
}

func TestDoctor(t *testing.T) {
	dir := engineModel(t, "tiny-qwen2-gqa-fp16")
	var out, errb bytes.Buffer
	if code := execute([]string{"doctor", "--model", dir}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"onnxruntime: ", "version 1.29", "cuda:", "layout:      genai, graph decoder.onnx, logits of every position (rewritten at open for the last one only)", "ids int32, KV fp16, logits fp16", "layers:      2", "context:     128", "eos ids:     [2]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
	t.Setenv("LLSUM_FULL_LOGITS", "1")
	out.Reset()
	if code := execute([]string{"doctor", "--model", dir}, nil, &out, &errb); code != 0 || strings.Contains(out.String(), "rewritten") {
		t.Errorf("LLSUM_FULL_LOGITS=1: exit %d, output still says the graph is rewritten:\n%s", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := execute([]string{"doctor", "--model", t.TempDir()}, nil, &out, &errb); code != exitUsage || !strings.Contains(out.String(), "INVALID") {
		t.Errorf("bad folder: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// TestHelperLlsum runs llsum in a fresh process for tests that need one
// (the ONNX Runtime library loads once per process); it does nothing unless
// LLSUM_HELPER_ARGS is set.
func TestHelperLlsum(t *testing.T) {
	args := os.Getenv("LLSUM_HELPER_ARGS")
	if args == "" {
		return
	}
	os.Exit(execute(strings.Split(args, "\x1f"), nil, os.Stdout, os.Stderr))
}

func runLlsum(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLlsum$")
	cmd.Env = append(append(os.Environ(), env...), "LLSUM_HELPER_ARGS="+strings.Join(args, "\x1f"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// TestBadLibrary: a missing or broken ONNX Runtime library gives one line
// saying how to install it.
func TestBadLibrary(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(bad, []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"broken --ort-lib", nil, []string{"doctor", "--ort-lib", bad}},
		{"missing LLSUM_ORT_LIB", []string{"LLSUM_ORT_LIB=" + filepath.Join(t.TempDir(), "nope.so")}, []string{"generate", "--model", t.TempDir(), "--input-ids", "1"}},
	} {
		code, _, stderr := runLlsum(t, c.env, c.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(stderr, "install-onnxruntime.sh") {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, stderr)
		}
	}
}
