package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer/onnx"
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
	CUDAGraph    bool

	// Parsed by Finalize.
	prefill  []int
	decode   [][2]int
	workload *benchWorkload
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
	f.BoolVar(&o.CUDAGraph, "cuda-graph", false, "replay decode steps as CUDA graphs (GQA models, KV cache on the GPU)")
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

type benchPrefill struct {
	Tokens int     `json:"tokens"`
	Ms     float64 `json:"ms,omitempty"`
	TokS   float64 `json:"tok_s,omitempty"`
	Error  string  `json:"error,omitempty"`
}

type benchDecode struct {
	Batch   int     `json:"batch"`
	Context int     `json:"context"`
	Tokens  int     `json:"tokens"`
	Ms      float64 `json:"ms,omitempty"`
	TokS    float64 `json:"tok_s,omitempty"`
	StepMs  float64 `json:"step_ms,omitempty"`
	// Digest is an FNV-1a hash of every output id, to compare runs.
	Digest string `json:"digest,omitempty"`
	Error  string `json:"error,omitempty"`
}

type benchWorkload struct {
	Docs      int     `json:"docs"`
	NewTokens int     `json:"new_tokens"`
	Batches   [][]int `json:"batches"`
}

type benchE2E struct {
	Docs         int     `json:"docs"`
	Requests     int     `json:"requests"`
	PromptTokens int     `json:"prompt_tokens"`
	NewTokens    int     `json:"new_tokens"`
	Seconds      float64 `json:"seconds"`
	DocsPerHour  float64 `json:"docs_per_hour"`
	Digest       string  `json:"digest,omitempty"`
	Error        string  `json:"error,omitempty"`
}

type benchResult struct {
	Device       string         `json:"device"`
	KVMemory     string         `json:"kv_memory"`
	CUDAGraph    bool           `json:"cuda_graph"`
	Runtime      string         `json:"runtime"`
	PrefillChunk int            `json:"prefill_chunk"`
	OpenSeconds  float64        `json:"open_seconds"`
	Prefill      []benchPrefill `json:"prefill"`
	Decode       []benchDecode  `json:"decode"`
	E2E          *benchE2E      `json:"e2e,omitempty"`
}

// addIDs feeds ids to h.
func addIDs(h hash.Hash64, ids []int) {
	var b [8]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(b[:], uint64(id))
		h.Write(b[:])
	}
}

// digest hashes the output ids of a batch, in order.
func digest(r []onnx.GenResult) string {
	h := fnv.New64a()
	for _, o := range r {
		addIDs(h, o.OutputIDs)
	}
	return fmt.Sprintf("%016x", h.Sum64())
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
	var decode [][2]int
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
		decode = append(decode, [2]int{bn, cn})
	}
	var wl *benchWorkload
	if o.Workload != "" {
		b, err := os.ReadFile(o.Workload)
		if err != nil {
			return usagef("--workload: %w", err)
		}
		wl = &benchWorkload{}
		if err := json.Unmarshal(b, wl); err != nil {
			return usagef("--workload %s: %w", o.Workload, err)
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
	eo := opts.engineOptions(g)
	eo.CUDAGraph = opts.CUDAGraph
	start := time.Now()
	e, err := onnx.Open(ctx, eo)
	if err != nil {
		return configError(err)
	}
	defer e.Close()
	res := benchResult{Device: e.Device(), KVMemory: e.KVMemory(), CUDAGraph: e.CUDAGraphs(), Runtime: e.Runtime().Version,
		PrefillChunk: opts.PrefillChunk, OpenSeconds: time.Since(start).Seconds()}
	logf := func(format string, a ...any) {
		if !g.Quiet {
			fmt.Fprintf(g.stderr, "llsum: bench: "+format+"\n", a...)
		}
	}
	logf("model open in %.1f s on %s, KV cache in %s memory", res.OpenSeconds, res.Device, res.KVMemory)
	// save writes the result so far, so a run stopped by a time limit keeps
	// the rows it finished.
	save := func() error {
		if opts.Out == "" {
			return nil
		}
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(opts.Out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		return nil
	}
	spec := e.Spec()
	rng := rand.New(rand.NewPCG(opts.Seed, 7))
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = rng.IntN(max(spec.Vocab-256, 1))
		}
		return out
	}
	run := func(reqs []onnx.GenRequest) ([]onnx.GenResult, float64, error) {
		t := time.Now()
		r, err := e.Generate(ctx, reqs)
		return r, time.Since(t).Seconds(), err
	}
	// Warm-up: kernels, allocator and workspace for short prompts.
	if _, _, err := run([]onnx.GenRequest{{InputIDs: ids(64), MaxNewTokens: 4, IgnoreEOS: true}}); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	for _, n := range prefill {
		p := benchPrefill{Tokens: n}
		r, _, err := run([]onnx.GenRequest{{InputIDs: ids(n), MaxNewTokens: 1, IgnoreEOS: true}})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			p.Error = err.Error()
		default:
			p.Ms = r[0].PrefillMs
			p.TokS = float64(n) / (p.Ms / 1000)
		}
		logf("prefill %d tokens: %.0f tok/s %s", n, p.TokS, p.Error)
		res.Prefill = append(res.Prefill, p)
		if err := save(); err != nil {
			return err
		}
	}
	for _, d := range decode {
		row := benchDecode{Batch: d[0], Context: d[1], Tokens: opts.DecodeTokens}
		reqs := make([]onnx.GenRequest, d[0])
		for i := range reqs {
			reqs[i] = onnx.GenRequest{InputIDs: ids(d[1]), MaxNewTokens: opts.DecodeTokens, IgnoreEOS: true}
		}
		r, _, err := run(reqs)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			row.Error = err.Error()
		default:
			row.Ms = r[0].DecodeMs
			row.TokS = r[0].DecodeTokensPerSecond()
			if steps := opts.DecodeTokens - 1; steps > 0 {
				row.StepMs = row.Ms / float64(steps)
			}
			row.Digest = digest(r)
		}
		logf("decode batch %d at %d: %.1f tok/s %s", d[0], d[1], row.TokS, row.Error)
		res.Decode = append(res.Decode, row)
		if err := save(); err != nil {
			return err
		}
	}
	if wl != nil {
		x := &benchE2E{Docs: wl.Docs}
		all := fnv.New64a()
		t := time.Now()
		for i, batch := range wl.Batches {
			reqs := make([]onnx.GenRequest, len(batch))
			for j, n := range batch {
				// Prompt and output must fit the context: shorten the prompt.
				p := min(n, spec.ContextLength-1)
				if p+wl.NewTokens > spec.ContextLength {
					p = max(1, min(p, spec.ContextLength-wl.NewTokens))
				}
				reqs[j] = onnx.GenRequest{InputIDs: ids(p), MaxNewTokens: wl.NewTokens, IgnoreEOS: true}
				x.PromptTokens += len(reqs[j].InputIDs)
			}
			r, _, err := run(reqs)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				x.Error = fmt.Sprintf("batch %d: %v", i, err)
				break
			}
			x.Requests += len(reqs)
			for _, o := range r {
				x.NewTokens += len(o.OutputIDs)
				addIDs(all, o.OutputIDs)
			}
		}
		x.Digest = fmt.Sprintf("%016x", all.Sum64())
		x.Seconds = time.Since(t).Seconds()
		if x.Error == "" && x.Seconds > 0 {
			x.DocsPerHour = float64(x.Docs) / x.Seconds * 3600
		}
		logf("workload: %d docs, %d requests in %.1f s: %.0f docs/hour %s", x.Docs, x.Requests, x.Seconds, x.DocsPerHour, x.Error)
		res.E2E = x
	}
	if err := save(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.stdout, string(b))
	return err
}
