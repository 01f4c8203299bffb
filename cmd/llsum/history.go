package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llsum/llsum/pipeline"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// historyOptions are the flags of `llsum history`.
type historyOptions struct {
	Since  string
	Status string
	Shard  string
	JSON   bool

	query pipeline.HistoryQuery // set by Finalize
}

// AddFlags registers history's flags.
func (o *historyOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Since, "since", "", "only runs started since T: a date (2026-11-30, local time), an RFC 3339 time, or an age (36h, 7d)")
	choiceFlag(f, &o.Status, "status", "", []string{pipeline.StatusOK, pipeline.StatusFailed, pipeline.StatusSkipped, pipeline.StatusDeleted}, nil,
		"only documents whose last status is this")
	f.StringVar(&o.Shard, "shard", "", "read shard I/N's state (OUT/.llsum/state-I-of-N.db) instead of the whole run's")
	f.BoolVar(&o.JSON, "json", false, "print JSON Lines: one object per run, then one per document")
}

// Finalize parses --since and --shard.
func (o *historyOptions) Finalize() error {
	o.query = pipeline.HistoryQuery{Status: o.Status}
	var err error
	if o.query.Shard, err = parseShardFlag(o.Shard); err != nil {
		return err
	}
	if o.query.Since, err = parseSince(o.Since, time.Now()); err != nil {
		return usagef("--since %q: %w", o.Since, err)
	}
	return nil
}

func newHistoryCmd(g *globalOptions) *cobra.Command {
	var opts historyOptions
	cmd := &cobra.Command{
		Use:   "history [flags] OUT",
		Short: "List the runs of an output folder and the documents they changed",
		Long: `Read the state database of the output folder OUT and list its runs (oldest
first: when, how each ended, its counts), then the documents those runs
changed: summarized, reused for a renamed file, failed, or found deleted
(skipped documents are not changes), each with its status, the model and
parameters that made its summary, and the error of a failure. --since
narrows to recent runs, --status to one status: "what failed last night" is
llsum history --since 24h --status failed OUT.`,
		Example: `  llsum history --since 24h --status failed /srv/digests
  llsum history --since 2026-11-30 /srv/digests
  llsum history --json /srv/digests | jq -c 'select(.document) | .document | {path, model}'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("history needs the output folder")
			}
			return nil
		},
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runHistory is `llsum history`.
func runHistory(ctx context.Context, g *globalOptions, opts historyOptions, args []string) error {
	w := g.stdout
	enc := json.NewEncoder(w)
	runs, docs := 0, 0
	err := pipeline.History(ctx, args[0], opts.query, func(r pipeline.RunInfo) error {
		runs++
		if opts.JSON {
			return enc.Encode(struct {
				Run pipeline.RunInfo `json:"run"`
			}{r})
		}
		_, err := fmt.Fprintf(w, "run %s\n", describeRun(r))
		return err
	}, func(d pipeline.DocState) error {
		docs++
		if opts.JSON {
			return enc.Encode(struct {
				Document pipeline.DocState `json:"document"`
			}{d})
		}
		line := fmt.Sprintf("  %-7s %s", d.Status, d.Path)
		switch {
		case d.Error != "":
			line += ": " + d.Error
		case d.Reason != "":
			line += " (" + d.Reason + ")"
		}
		if d.Model != "" && d.Status != pipeline.StatusFailed {
			line += " [" + d.Model + "]"
		}
		_, err := fmt.Fprintln(w, line)
		return err
	})
	if err != nil {
		return stateError(err)
	}
	if !opts.JSON && !g.Quiet {
		fmt.Fprintf(g.stderr, "llsum: %d runs, %d documents changed\n", runs, docs)
	}
	return nil
}

// parseSince reads --since: a date (local midnight), an RFC 3339 time, or
// an age before now (a Go duration, or Nd for N days).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, time.Local); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 {
			return now.AddDate(0, 0, -d), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("want a date (2026-11-30), an RFC 3339 time or an age (36h, 7d)")
}
