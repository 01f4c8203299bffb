package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/enginebench"
	"github.com/llsum/llsum/internal/envconfig"
)

// devBenchOptions are the flags of `llsum dev bench`.
type devBenchOptions struct {
	modelFlags
	Prefill      string
	Decode       string
	DecodeTokens int
	Workload     string
	Out          string
	Seed         uint64
	HostArgmax   bool
	ORTProfile   string

	// Parsed by Finalize.
	prefill  []int
	decode   []enginebench.Shape
	workload *enginebench.Workload
}

// AddFlags registers dev bench's flags.
func (o *devBenchOptions) AddFlags(f *pflag.FlagSet) {
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Prefill, "prefill", "1024,8192", "prompt lengths to time prefill at (comma-separated; empty: none)")
	f.StringVar(&o.Decode, "decode", "1x4096,4x4096", "decode rows as BATCHxCONTEXT (comma-separated; empty: none)")
	f.IntVar(&o.DecodeTokens, "decode-tokens", 64, "tokens generated per decode row (EOS ignored)")
	f.StringVar(&o.Workload, "workload", "", `end-to-end workload JSON: {"docs":N,"new_tokens":T,"batches":[[prompt lengths…],…]}`)
	f.StringVar(&o.Out, "out", "", "write the JSON result here too")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the random prompt ids")
	f.BoolVar(&o.HostArgmax, "host-argmax", false, "copy greedy logits to the host for the argmax instead of reducing them on the GPU")
	f.StringVar(&o.ORTProfile, "ort-profile", "", "write ONNX Runtime's per-node profile (kernel time of every operator in every forward pass) to PREFIX_<date>.json")
}

func newDevBenchCmd(g *globalOptions) *cobra.Command {
	var opts devBenchOptions
	cmd := &cobra.Command{
		Use:   "bench --model DIR [flags]",
		Short: "Time prefill, decode and a batched workload on the ONNX engine (benchmarks)",
		Long: `Time the ONNX engine on random prompt ids with EOS ignored, so every
run does the same work: prefill tokens/s per prompt length, decode tokens/s
per batch and context, and an end-to-end workload of batched requests
(bench/gpu/run.sh writes it). Prints one JSON object.`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDevBench(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// parseInts reads "1024,8192".
func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, usagef("%s: %q is not a positive number", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Finalize parses --prefill, --decode and --workload and checks that a
// model is given.
func (o *devBenchOptions) Finalize() error {
	prefill, err := parseInts("--prefill", o.Prefill)
	if err != nil {
		return err
	}
	var decode []enginebench.Shape
	for _, f := range strings.Split(o.Decode, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		b, c, ok := strings.Cut(f, "x")
		bn, err1 := strconv.Atoi(b)
		cn, err2 := strconv.Atoi(c)
		if !ok || err1 != nil || err2 != nil || bn < 1 || cn < 1 {
			return usagef("--decode: %q is not BATCHxCONTEXT", f)
		}
		decode = append(decode, enginebench.Shape{Batch: bn, Context: cn})
	}
	var wl *enginebench.Workload
	if o.Workload != "" {
		b, err := os.ReadFile(o.Workload)
		if err != nil {
			return usagef("--workload: %w", err)
		}
		wl = &enginebench.Workload{}
		if err := json.Unmarshal(b, wl); err != nil {
			return usagef("--workload %s: %w", o.Workload, err)
		}
	}
	if o.ORTProfile != "" {
		// ONNX Runtime drops the profile silently when it cannot write it.
		if st, err := os.Stat(filepath.Dir(o.ORTProfile)); err != nil || !st.IsDir() {
			return usagef("--ort-profile %s: folder %s does not exist", o.ORTProfile, filepath.Dir(o.ORTProfile))
		}
	}
	if o.Model == "" && envconfig.Model() == "" {
		return usagef("dev bench needs --model DIR (or LLSUM_MODEL)")
	}
	o.prefill, o.decode, o.workload = prefill, decode, wl
	return nil
}

// runDevBench is `llsum dev bench`.
func runDevBench(ctx context.Context, g *globalOptions, opts devBenchOptions) error {
	prefill, decode, wl := opts.prefill, opts.decode, opts.workload
	eo, err := opts.engineOptions(g)
	if err != nil {
		return err
	}
	eo.HostArgmax = opts.HostArgmax
	eo.ProfilePrefix = opts.ORTProfile
	start := time.Now()
	e, err := onnx.Open(ctx, eo)
	if err != nil {
		return configError(err)
	}
	defer e.Close()
	res := enginebench.Result{Device: e.Device(), KVMemory: e.KVMemory(), CUDAGraph: e.CUDAGraphs(), DeviceArgmax: e.DeviceArgmax(), Runtime: e.Runtime().Version,
		PrefillChunk: opts.PrefillChunk, OpenSeconds: time.Since(start).Seconds()}
	logf := func(format string, a ...any) {
		if !g.Quiet {
			fmt.Fprintf(g.stderr, "llsum: bench: "+format+"\n", a...)
		}
	}
	logf("model open in %.1f s on %s, KV cache in %s memory", res.OpenSeconds, res.Device, res.KVMemory)
	cfg := enginebench.Config{Prefill: prefill, Decode: decode, DecodeTokens: opts.DecodeTokens, Workload: wl,
		IDs: enginebench.RandomIDs(opts.Seed, e.Spec().Vocab), Log: logf}
	if opts.Out != "" {
		cfg.Save = func(res *enginebench.Result) error {
			b, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			return nil
		}
	}
	if err := enginebench.Run(ctx, e, cfg, &res); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.stdout, string(b))
	return err
}
