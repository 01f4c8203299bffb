package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"

	"github.com/llsum/llsum/extract"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// extractOptions are the flags of `llsum extract`.
type extractOptions struct {
	JSON    bool
	Extract extractFlags
}

// AddFlags registers extract's flags.
func (o *extractOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.JSON, "json", false, "print the document as JSON (metadata, pages with engine and warnings)")
	o.Extract.AddFlags(f)
}

func newExtractCmd(g *globalOptions) *cobra.Command {
	var opts extractOptions
	cmd := &cobra.Command{
		Use:   "extract [flags] FILE",
		Short: "Print the text llsum extracts from a document",
		Long: `Print the text extracted from FILE (PDF, .txt or .md), pages separated by
form feeds (\f). With --json, print the document: metadata, and each page's
number, text, engine and warnings.`,
		Example: `  llsum extract report.pdf | less
  llsum extract --json report.pdf | jq '.pages[] | select(.warnings)'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("extract takes exactly one file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExtract(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runExtract is `llsum extract`.
func runExtract(ctx context.Context, g *globalOptions, opts extractOptions, args []string) error {
	eo := opts.Extract.options(1)
	eo.Workers = 1
	ex := extract.New(eo)
	defer ex.Close()
	doc, err := ex.File(ctx, args[0])
	if err != nil {
		return documentFailed(err)
	}
	for _, w := range doc.GarbledWarnings() {
		fmt.Fprintf(g.stderr, "llsum: warning: %s: %s\n", args[0], w)
	}
	if opts.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	// Page by page: no second copy of the whole text.
	w := bufio.NewWriterSize(g.stdout, 64<<10)
	if err := doc.WriteText(w); err != nil {
		return err
	}
	if err := w.WriteByte('\n'); err != nil {
		return err
	}
	return w.Flush()
}
