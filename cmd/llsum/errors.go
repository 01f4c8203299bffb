package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llsum/llsum/chunk"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/openai"
	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/textutil"
	"github.com/llsum/llsum/serve"
	sumz "github.com/llsum/llsum/summarize"
)

// Exit codes (README "Exit codes"). exitCode is the one place that picks
// them; commands return errors of the kinds below and never a code.
const (
	exitOK          = 0
	exitDocFailed   = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is a bad flag, argument or flag combination (exit 2).
type usageError struct {
	err error
	// help adds "Run 'llsum --help' for usage." (cobra's own argument
	// errors, which do not say what llsum wants).
	help bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit 2).
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// flagError is cobra's flag-error hook: every error pflag reports while
// parsing becomes a usage error; a rejected enum value keeps its own
// message (--format "pdf": want md, json or md,json).
func flagError(_ *cobra.Command, err error) error {
	var ce *choiceError
	if errors.As(err, &ce) {
		return &usageError{err: ce}
	}
	return &usageError{err: err}
}

// configError marks err as a configuration error that stops the command
// (a model folder that is not one, a missing library): errclass fatal,
// exit 2.
func configError(err error) error { return errclass.AsFatal(err) }

// errDocumentsFailed: at least one document failed (exit 1).
var errDocumentsFailed = errors.New("documents failed")

// docError is the failure of the document a command works on (exit 1).
type docError struct{ err error }

func (e *docError) Error() string        { return e.err.Error() }
func (e *docError) Unwrap() error        { return e.err }
func (e *docError) Is(target error) bool { return target == errDocumentsFailed }

// documentFailed marks err as a failed document (exit 1).
func documentFailed(err error) error { return &docError{err} }

// reportedError has been reported on stderr already (by the run's log):
// it decides the exit code but prints nothing more.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// reported marks err as already reported.
func reported(err error) error { return &reportedError{err} }

// messageError prints msg but exits as class does (a digest that failed
// after documents had failed: its message, the run's code).
type messageError struct{ msg, class error }

func (e *messageError) Error() string { return e.msg.Error() }
func (e *messageError) Unwrap() error { return e.class }

// exitCode maps what a command returned to the exit code and the one-line
// message for stderr ("" for none). ctx is the command's context: once an
// interrupt ended it, whatever failed exits 130 unless it was a usage or
// configuration error.
func exitCode(ctx context.Context, err error) (code int, msg string) {
	if err == nil {
		return exitOK, ""
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue), errclass.IsFatal(err):
		code = exitUsage
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		code = exitInterrupted
	case errors.Is(err, errDocumentsFailed):
		code = exitDocFailed
	default:
		code = exitDocFailed
	}
	var re *reportedError
	if errors.As(err, &re) {
		return code, ""
	}
	msg = "llsum: error: " + describe(err)
	if ue != nil && ue.help {
		msg += "\nRun 'llsum --help' for usage."
	}
	return code, msg
}

// hints say what to do about errors the libraries report by kind; the
// libraries do not know llsum's flags.
var hints = []struct {
	is   func(error) bool
	hint string
}{
	{func(err error) bool { var be *dirlock.BusyError; return errors.As(err, &be) }, "wait for it to finish, or use --wait"},
	{func(err error) bool { return errors.Is(err, serve.ErrNoModelName) }, "give one with --model-name"},
	{func(err error) bool { return errors.Is(err, openai.ErrModelNameNeeded) }, "choose one with --model-name"},
	{func(err error) bool { return errors.Is(err, openai.ErrNoContextWindow) }, "give it with --context"},
	{func(err error) bool { return errors.Is(err, onnx.ErrNoSuchVariant) }, "pick one of those with --variant"},
	{func(err error) bool { return errors.Is(err, onnx.ErrCUDAProvider) }, "`llsum setup --gpu` installs the provider libraries; they need CUDA 13 and cuDNN 9"},
	{func(err error) bool { return errors.Is(err, openai.ErrUnauthorized) }, "check " + openai.EnvAPIKey},
	{func(err error) bool { return errors.Is(err, openai.ErrNotFound) }, "wrong --endpoint or --model-name?"},
	{func(err error) bool { return errors.Is(err, chunk.ErrWindowTooSmall) }, "lower --max-new-tokens or raise --context"},
	{func(err error) bool { return errors.Is(err, sumz.ErrNoProgress) }, "raise --context or lower --max-new-tokens"},
	{func(err error) bool { return errors.Is(err, onnx.ErrNoRuntime) }, "install it with `llsum setup` (in a clone: scripts/install-onnxruntime.sh or `make deps`), or point --ort-lib / LLSUM_ORT_LIB at libonnxruntime.so.1 " + onnx.ORTVersion},
}

// hinter is an error of cmd's own that words its hint from what it holds
// (the model name to pull).
type hinter interface {
	error
	hint() string
}

// describe is err's message on one line, with the hint for its kind.
func describe(err error) string {
	s := textutil.EscapeControl(textutil.OneLine(err.Error()))
	if h, ok := errors.AsType[hinter](err); ok {
		s += "; " + h.hint()
	}
	for _, h := range hints {
		if h.is(err) {
			s += "; " + h.hint
		}
	}
	return s
}
