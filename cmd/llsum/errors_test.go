package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/llsum/llsum/chunk"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/openai"
	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/serve"
	sumz "github.com/llsum/llsum/summarize"
)

// TestExitCode: each kind of error a command returns maps to one exit code
// and one message line.
func TestExitCode(t *testing.T) {
	cause := errors.New("boom")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	_, noORT := onnx.FindLibrary(onnx.LibOptions{Path: "/nonexistent/libonnxruntime.so.1"})
	busy := configError(fmt.Errorf("output folder o is in use: %w", &dirlock.BusyError{Path: "o/.llsum/lock", PIDs: []int{7}}))
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		code int
		msg  string
	}{
		{"nil", bg, nil, exitOK, ""},
		{"plain", bg, cause, exitDocFailed, "llsum: error: boom"},
		{"multi-line folded", bg, errors.New("a\n  b"), exitDocFailed, "llsum: error: a b"},
		{"usage", bg, usagef("--jobs must be at least 1"), exitUsage, "llsum: error: --jobs must be at least 1"},
		{"wrapped usage", bg, fmt.Errorf("x: %w", usagef("bad")), exitUsage, "llsum: error: x: bad"},
		{"cobra usage", bg, &usageError{err: cause, help: true}, exitUsage, "llsum: error: boom\nRun 'llsum --help' for usage."},
		{"flag", bg, flagError(nil, cause), exitUsage, "llsum: error: boom"},
		{"choice", bg, flagError(nil, fmt.Errorf("invalid argument: %w", &choiceError{flag: "format", value: "pdf", choices: []string{"md", "json"}})), exitUsage, `llsum: error: --format "pdf": want md or json`},
		{"config (fatal)", bg, configError(cause), exitUsage, "llsum: error: boom"},
		{"library fatal", bg, fmt.Errorf("model: %w", errclass.AsFatal(cause)), exitUsage, "llsum: error: model: boom"},
		{"document failed", bg, documentFailed(cause), exitDocFailed, "llsum: error: boom"},
		{"documents failed, reported", bg, reported(errDocumentsFailed), exitDocFailed, ""},
		{"canceled", bg, fmt.Errorf("x: %w", context.Canceled), exitInterrupted, "llsum: error: x: context canceled"},
		{"interrupted, reported", canceled, reported(context.Canceled), exitInterrupted, ""},
		{"any error once interrupted", canceled, documentFailed(cause), exitInterrupted, "llsum: error: boom"},
		{"usage wins over interrupt", canceled, usagef("bad"), exitUsage, "llsum: error: bad"},
		{"fatal wins over interrupt", canceled, configError(cause), exitUsage, "llsum: error: boom"},
		{"digest after failures", bg, &messageError{msg: configError(cause), class: errDocumentsFailed}, exitDocFailed, "llsum: error: boom"},
		{"fatal, reported", bg, reported(configError(cause)), exitUsage, ""},
		{"lock hint", bg, busy, exitUsage, "llsum: error: " + busy.Error() + "; wait for it to finish, or use --wait"},
		{"onnx install hint", bg, configError(noORT), exitUsage, "llsum: error: --ort-lib /nonexistent/libonnxruntime.so.1: ONNX Runtime library not found; install it with `llsum setup` (in a clone: scripts/install-onnxruntime.sh or `make deps`), or point --ort-lib / LLSUM_ORT_LIB at libonnxruntime.so.1 " + onnx.ORTVersion},
		{"openai model hint", bg, fmt.Errorf("open: %w", openai.ErrModelNameNeeded), exitDocFailed, "llsum: error: open: openai: the server serves several models; choose one with --model-name"},
		{"openai window hint", bg, configError(openai.ErrNoContextWindow), exitUsage, "llsum: error: openai: the server does not report the context window; give it with --context"},
		{"variant hint", bg, fmt.Errorf("model m: %w: \"q8\" (have: fp16, q4): %w", onnx.ErrNoSuchVariant, onnx.ErrBadModel), exitDocFailed, "llsum: error: model m: no such variant: \"q8\" (have: fp16, q4): not a usable model folder; pick one of those with --variant"},
		{"serve name hint", bg, configError(serve.ErrNoModelName), exitUsage, "llsum: error: serve: the model has no name; give one with --model-name"},
		{"openai auth hint", bg, fmt.Errorf("GET /models: 401: %w", openai.ErrUnauthorized), exitDocFailed, "llsum: error: GET /models: 401: unauthorized; check LLSUM_API_KEY"},
		{"openai 404 hint", bg, fmt.Errorf("POST /chat: 404: %w", openai.ErrNotFound), exitDocFailed, "llsum: error: POST /chat: 404: not found; wrong --endpoint or --model-name?"},
		{"window hint", bg, configError(fmt.Errorf("budget: %w", chunk.ErrWindowTooSmall)), exitUsage, "llsum: error: budget: " + chunk.ErrWindowTooSmall.Error() + "; lower --max-new-tokens or raise --context"},
		{"no progress hint", bg, documentFailed(fmt.Errorf("reduce level 2: %w", sumz.ErrNoProgress)), exitDocFailed, "llsum: error: reduce level 2: summaries are not getting shorter; raise --context or lower --max-new-tokens"},
		{"pull hint", bg, configError(&modelNotPulledError{name: "llama-3.2-1b-cpu-int4"}), exitUsage, "llsum: error: model llama-3.2-1b-cpu-int4: neither a folder nor a pulled model; get it with `llsum pull llama-3.2-1b-cpu-int4` (`llsum models --available` lists the names)"},
		{"cuda hint", bg, configError(fmt.Errorf("device: %w", onnx.ErrCUDAProvider)), exitUsage, "llsum: error: device: CUDA provider did not load; `llsum setup --gpu` installs the provider libraries; they need CUDA 13 and cuDNN 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := exitCode(tc.ctx, tc.err)
			if code != tc.code || msg != tc.msg {
				t.Fatalf("exitCode = %d, %q; want %d, %q", code, msg, tc.code, tc.msg)
			}
		})
	}
}

// TestExecuteUsage: cobra's own errors (unknown command, argument counts,
// bad flag values) exit 2 with one message; the commands' own argument
// errors do not add the --help line.
func TestExecuteUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		help bool
	}{
		{[]string{"frobnicate"}, `llsum: error: unknown command "frobnicate" for "llsum"`, true},
		{[]string{"doctor", "extra"}, `llsum: error: unknown command "extra" for "llsum doctor"`, true},
		{[]string{"run", "--no-such-flag", "x"}, "llsum: error: unknown flag: --no-such-flag", false},
		{[]string{"run", "-j", "x", "x"}, `llsum: error: invalid argument "x" for "-j, --jobs" flag`, false},
		{[]string{"run"}, "llsum: error: run needs at least one file or folder", false},
		{[]string{"run", "-j", "0", "x"}, "llsum: error: --jobs must be at least 1", false},
	} {
		var out, errb bytes.Buffer
		code := execute(tc.args, nil, &out, &errb)
		got := errb.String()
		if code != exitUsage || !strings.Contains(got, tc.want) || strings.Contains(got, "--help' for usage") != tc.help {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q (help line %v)", tc.args, code, got, tc.want, tc.help)
		}
	}
}
