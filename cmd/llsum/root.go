package main

import (
	"fmt"
	"io"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/ui"
	"github.com/spf13/cobra"
)

// globalOptions are the flags every subcommand shares, and the standard
// streams (so tests can run commands in-process).
type globalOptions struct {
	Quiet   bool
	Verbose bool
	// jsonLog is set by run --log-format json: notices become JSON lines.
	jsonLog bool

	stdin          io.Reader
	stdout, stderr io.Writer
}

// AddFlags registers the global flags.
func (g *globalOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.BoolVarP(&g.Quiet, "quiet", "q", false, "print errors only")
	f.BoolVarP(&g.Verbose, "verbose", "v", false, "print debugging detail")
}

const rootLong = `llsum turns folders of documents (PDF, plain text, Markdown) into summaries.

It walks the folders, extracts the text page by page, splits it to fit the
model's context window, summarizes each document with Llama 3.2 through ONNX
Runtime (GPU when there is one, CPU otherwise), and writes a Markdown and/or
JSON summary per document plus a run index. Without a model it summarizes
extractively (TextRank), so it works on a fresh machine.

Progress and logs go to stderr; results go to files (and to stdout only
when asked).

Exit codes:
  0    every document is summarized (or skipped as unchanged / not summarizable)
  1    at least one document failed (each is listed on stderr and in index.json)
  2    usage or configuration error (bad flag, missing path, unwritable output)
  130  interrupted (SIGINT/SIGTERM); what completed is in index.json

Environment:
` + "ENV_HELP"

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "llsum",
		Short: "Summarize folders of documents with a local LLM",
		Long:  replaceEnvHelp(rootLong),
		Example: `  llsum run ./docs                       summarize ./docs into ./summaries
  llsum run --model ~/models/llama-3.2-3b ./docs
  llsum run --out /srv/digests --format json -j 4 ./a ./b
  llsum extract report.pdf               print a document's text
  llsum version`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	g.AddFlags(root)
	root.SetFlagErrorFunc(flagError)

	// Subcommands: one file each in this folder.
	root.AddCommand(newRunCmd(g))
	root.AddCommand(newExtractCmd(g))
	root.AddCommand(newChunkCmd(g))
	root.AddCommand(newVersionCmd(g))
	root.AddCommand(newIndexCmd(g))
	root.AddCommand(newStatusCmd(g))
	root.AddCommand(newHistoryCmd(g))
	root.AddCommand(newTokenizeCmd(g))
	root.AddCommand(newGenerateCmd(g))
	root.AddCommand(newDoctorCmd(g))
	root.AddCommand(newServeCmd(g))
	root.AddCommand(newDevCmd(g))
	root.AddCommand(newSetupCmd(g))
	root.AddCommand(newPullCmd(g))
	root.AddCommand(newModelsCmd(g))
	return root
}

func replaceEnvHelp(s string) string {
	const marker = "ENV_HELP"
	return s[:len(s)-len(marker)] + envconfig.Help()
}

// notice prints a one-line notice on stderr (a JSON line under
// --log-format json), unless --quiet.
func (g *globalOptions) notice(msg string) {
	if g.Quiet {
		return
	}
	if g.jsonLog {
		ui.WriteJSONNotice(g.stderr, msg)
		return
	}
	fmt.Fprintln(g.stderr, "llsum: notice: "+msg)
}
