// Command llsum turns folders of documents into summaries with a local LLM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs llsum with args and returns the exit code (errors.go picks
// it).
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := notifySignals(context.Background()) // signals.go
	defer stop()
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	ran := false
	markRun(root, &ran)
	err := root.ExecuteContext(ctx)
	var ue *usageError
	if err != nil && !ran && !errors.As(err, &ue) {
		// cobra's own checks (unknown command, argument counts) fail
		// before any command runs: usage errors.
		err = &usageError{err: err, help: true}
	}
	code, msg := exitCode(ctx, err)
	if msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	return code
}

// markRun makes every command set *ran when its RunE starts, so execute
// tells cobra's argument errors from the commands' own.
func markRun(c *cobra.Command, ran *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*ran = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub, ran)
	}
}
