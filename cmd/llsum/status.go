package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/llsum/llsum/internal/statedb"
	"github.com/llsum/llsum/pipeline"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// statusOptions are the flags of `llsum status`.
type statusOptions struct {
	Shard string
	Limit int
	JSON  bool

	shard pipeline.Shard // set by Finalize
}

// AddFlags registers status's flags.
func (o *statusOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Shard, "shard", "", "read shard I/N's state (OUT/.llsum/state-I-of-N.db) instead of the whole run's")
	f.IntVar(&o.Limit, "limit", 20, "list at most this many failed and stale documents (0: all)")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object instead of text")
}

// Finalize parses --shard and checks --limit.
func (o *statusOptions) Finalize() error {
	if o.Limit < 0 {
		return usagef("--limit must not be negative")
	}
	var err error
	o.shard, err = parseShardFlag(o.Shard)
	return err
}

func newStatusCmd(g *globalOptions) *cobra.Command {
	var opts statusOptions
	cmd := &cobra.Command{
		Use:   "status [flags] OUT",
		Short: "Show the state of an output folder: last run, failures, stale outputs",
		Long: `Read the state database of the output folder OUT (OUT/.llsum/state.db) and
print: the last run (when, how it ended, its counts by status), the number of
documents by status, the documents that failed and why, and the stale
outputs: summaries made from other content than the input's (a document
that changed, then failed), by another model or with other parameters than
the last run's, or whose input is gone. It only reads, and works while a
run is going.`,
		Example: `  llsum status /srv/digests
  llsum status --json --limit 0 /srv/digests | jq '.failed[].error'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("status needs the output folder")
			}
			return nil
		},
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runStatus is `llsum status`.
func runStatus(ctx context.Context, g *globalOptions, opts statusOptions, args []string) error {
	rep, err := pipeline.Status(ctx, args[0], opts.shard, opts.Limit)
	if err != nil {
		return stateError(err)
	}
	if opts.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := g.stdout
	c := rep.Documents
	fmt.Fprintf(w, "%s: %d documents (%d ok, %d failed, %d skipped, %d deleted)\n", args[0], c.OK+c.Failed+c.Skipped+c.Deleted, c.OK, c.Failed, c.Skipped, c.Deleted)
	if rep.LastRun == nil {
		fmt.Fprintln(w, "last run: none recorded")
	} else {
		fmt.Fprintf(w, "last run: %s\n", describeRun(*rep.LastRun))
		for _, e := range rep.LastRun.Errors {
			fmt.Fprintf(w, "  error: %s\n", e)
		}
	}
	listDocs(w, "failed", rep.FailedTotal, rep.Failed, func(d pipeline.DocState) string { return d.Path + ": " + d.Error })
	listDocs(w, "stale outputs", rep.StaleTotal, rep.Stale, func(d pipeline.DocState) string { return d.Path + ": " + d.Stale })
	return nil
}

func listDocs(w io.Writer, title string, total int, docs []pipeline.DocState, line func(pipeline.DocState) string) {
	fmt.Fprintf(w, "%s: %d\n", title, total)
	for _, d := range docs {
		fmt.Fprintf(w, "  %s\n", line(d))
	}
	if total > len(docs) {
		fmt.Fprintf(w, "  … and %d more (--limit 0 lists all)\n", total-len(docs))
	}
}

// describeRun is a run on one line.
func describeRun(r pipeline.RunInfo) string {
	s := fmt.Sprintf("#%d %s, started %s", r.ID, r.Status, r.Started.Local().Format(time.DateTime))
	if r.Status == "running" {
		s = fmt.Sprintf("#%d running or killed (no finish recorded), started %s", r.ID, r.Started.Local().Format(time.DateTime))
	}
	if !r.Finished.IsZero() {
		s += fmt.Sprintf(", took %s", r.Finished.Sub(r.Started).Round(time.Second))
	}
	if r.Shard != "" {
		s += ", shard " + r.Shard
	}
	c := r.Counts
	return s + fmt.Sprintf(": %d ok, %d failed, %d skipped, %d deleted", c.OK, c.Failed, c.Skipped, c.Deleted)
}

// parseShardFlag parses a --shard value ("" is the whole run).
func parseShardFlag(s string) (pipeline.Shard, error) {
	if s == "" {
		return pipeline.Shard{}, nil
	}
	sh, err := pipeline.ParseShard(s)
	if err != nil {
		return sh, usagef("--shard: %w", err)
	}
	return sh, nil
}

// stateError classifies a state query's error: a folder without state (or
// with a state database that cannot be read) is a configuration error
// (exit 2).
func stateError(err error) error {
	if errors.Is(err, pipeline.ErrNoState) || errors.Is(err, statedb.ErrCorrupt) {
		return configError(err)
	}
	return err
}
