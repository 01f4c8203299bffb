package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/enginebench"
	"github.com/llsum/llsum/internal/envconfig"
)

// devGraphCheckOptions are the flags of `llsum dev graph-check`.
type devGraphCheckOptions struct {
	modelFlags
	Batches string
	Context int
	Tokens  int
	Seed    uint64
	Out     string

	batches []int // parsed by Finalize
}

// AddFlags registers graph-check's flags.
func (o *devGraphCheckOptions) AddFlags(f *pflag.FlagSet) {
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Batches, "batches", "1,4,16", "batch sizes to compare at (comma-separated)")
	f.IntVar(&o.Context, "context", 1024, "prompt ids per request")
	f.IntVar(&o.Tokens, "tokens", 64, "new tokens per request (EOS ignored)")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the random prompt ids")
	f.StringVar(&o.Out, "out", "", "write the JSON result here too")
}

// Finalize parses --batches and checks the model and lengths.
func (o *devGraphCheckOptions) Finalize() error {
	b, err := parseInts("--batches", o.Batches)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return usagef("--batches: no batch size")
	}
	if o.Context < 1 || o.Tokens < 1 {
		return usagef("--context and --tokens must be positive")
	}
	if o.Model == "" && envconfig.Model() == "" {
		return usagef("dev graph-check needs --model DIR (or LLSUM_MODEL)")
	}
	o.batches = b
	return nil
}

func newDevGraphCheckCmd(g *globalOptions) *cobra.Command {
	var opts devGraphCheckOptions
	cmd := &cobra.Command{
		Use:   "graph-check --model DIR [flags]",
		Short: "Compare CUDA-graph decoding with plain decoding, logits step by step",
		Long: `Run the same greedy requests (random prompt ids, EOS ignored) on the plain
decode path and on the CUDA-graph path (on a CPU, the same static-step
layout without a graph) and compare the logits of every step, not only the
ids. For each batch size it prints the first step whose ids differ, the
largest logit difference (absolute and in fp16 ulps) over the steps both
paths fed the same tokens, and whether every chosen id is the host argmax
of its logits (the check of the on-device argmax). Prints one JSON array;
exits 1 when ids differ by more than rounding or an argmax mismatches.
It keeps the plain run's logits of a batch in memory (batch × tokens ×
vocabulary × 4 bytes).`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDevGraphCheck(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// errGraphCheck: the two paths disagree beyond rounding.
var errGraphCheck = errors.New("graph check failed")

// runDevGraphCheck is `llsum dev graph-check`.
func runDevGraphCheck(ctx context.Context, g *globalOptions, opts devGraphCheckOptions) error {
	eo, err := opts.engineOptions(g)
	if err != nil {
		return err
	}
	spec, err := onnx.ReadSpec(eo.Model, eo.Variant)
	if err != nil {
		return configError(err)
	}
	ids := enginebench.RandomIDs(opts.Seed, spec.Vocab)
	var batches [][]onnx.GenRequest
	for _, n := range opts.batches {
		batches = append(batches, enginebench.Requests(ids, n, opts.Context, opts.Tokens))
	}
	checks, err := onnx.CompareGraph(ctx, eo, batches)
	if err != nil {
		return configError(err)
	}
	var bad []string
	for _, c := range checks {
		if !g.Quiet {
			fmt.Fprintf(g.stderr, "llsum: graph-check: batch %d (%s; argmax %s/%s): %s\n", c.Batch, c.Paths, c.Argmax[0], c.Argmax[1], c.Verdict)
		}
		if c.ArgmaxMismatch != [2]int{} || c.Compared == 0 || (!c.IDsEqual && c.MaxULPs > onnx.RoundingULPs) {
			bad = append(bad, fmt.Sprintf("batch %d: %s", c.Batch, c.Verdict))
		}
	}
	b, err := json.MarshalIndent(checks, "", "  ")
	if err != nil {
		return err
	}
	if opts.Out != "" {
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if _, err := fmt.Fprintln(g.stdout, string(b)); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", errGraphCheck, strings.Join(bad, "; "))
	}
	return nil
}
