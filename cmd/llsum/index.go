package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/llsum/llsum/pipeline"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// indexMergeOptions are the flags of `llsum index merge`.
type indexMergeOptions struct {
	Wait bool
}

// AddFlags registers index merge's flags.
func (o *indexMergeOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Wait, "wait", false, "wait for runs still using the folder instead of failing")
}

func newIndexCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Work with run indexes (index.json)",
	}
	var opts indexMergeOptions
	merge := &cobra.Command{
		Use:   "merge [flags] OUT",
		Short: "Combine the shard indexes of OUT (index-I-of-N.json) into OUT/index.json",
		Long: `Combine the indexes written by sharded runs (llsum run --shard I/N) in the
output folder OUT into OUT/index.json. Missing shards are reported, and the
merge fails (exit 1) when any is missing; the index of the shards present
is written all the same. The shards' state databases
(OUT/.llsum/state-I-of-N.db) are merged into OUT/.llsum/state.db, so that a
whole run afterwards skips what the shards summarized.`,
		Example: `  llsum index merge /shared/digests`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("index merge needs the output folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIndexMerge(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(merge.Flags())
	cmd.AddCommand(merge)
	return cmd
}

// runIndexMerge is `llsum index merge`.
func runIndexMerge(ctx context.Context, g *globalOptions, opts indexMergeOptions, args []string) error {
	res, err := pipeline.MergeIndexes(ctx, args[0], opts.Wait)
	if err != nil {
		return err
	}
	c := res.Index.Counts
	if !g.Quiet {
		fmt.Fprintf(g.stderr, "llsum: merged shards %s into %s: %d documents (%d ok, %d failed, %d skipped, %d deleted)\n",
			strings.Join(res.Shards, ", "), res.Path, len(res.Index.Documents), c.OK, c.Failed, c.Skipped, c.Deleted)
		if len(res.Databases) > 0 {
			fmt.Fprintf(g.stderr, "llsum: merged state %s into %s\n", strings.Join(res.Databases, ", "), pipeline.StatePath(args[0], pipeline.Shard{}))
		}
	}
	if len(res.Missing) > 0 {
		return documentFailed(fmt.Errorf("index merge %s: no index for shard %s yet", args[0], strings.Join(res.Missing, ", ")))
	}
	return nil
}
