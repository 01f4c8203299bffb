// Command llsum turns folders of documents into summaries with a local LLM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/llsum/llsum/internal/textutil"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

// Exit codes (README "Exit codes").
const (
	exitOK          = 0
	exitDocFailed   = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// exitError carries the exit code a command wants.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error that exits with code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withCode wraps err with an exit code (nil err and code 0 give nil).
func withCode(code int, err error) error {
	if code == exitOK && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs llsum with args and returns the exit code.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := notifySignals(context.Background()) // signals.go
	defer stop()
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitDocFailed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	} else if isUsage(err) {
		code = exitUsage
	}
	if msg := errorLine(err); msg != "" {
		fmt.Fprintln(stderr, "llsum: error: "+msg)
		if code == exitUsage && !errors.As(err, &ee) {
			fmt.Fprintln(stderr, "Run 'llsum --help' for usage.")
		}
	}
	if ctx.Err() != nil && code != exitUsage {
		return exitInterrupted
	}
	return code
}

// errorLine is the one-line message for err ("" when already reported).
func errorLine(err error) string {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ""
	}
	return textutil.OneLine(err.Error())
}

// isUsage recognizes cobra's own argument and flag errors.
func isUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
