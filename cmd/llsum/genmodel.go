package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/llsum/llsum/internal/genmodel"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newDevCmd groups developer tools that are not part of summarizing.
func newDevCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Developer tools (test model generation)",
	}
	cmd.AddCommand(newGenModelCmd(g))
	cmd.AddCommand(newDevBenchCmd(g))
	return cmd
}

// genModelOptions are the flags of `llsum dev gen-model`.
type genModelOptions struct {
	Flavour string
	Preset  string
	DType   string
	Out     string
	// Overrides of the preset, applied when the flag is given.
	Layers, Hidden, Heads, KVHeads, HeadSize, Intermediate, Vocab, Context int
	Seed                                                                   uint64
	Int32IDs, Tie, External                                                bool
	Workers                                                                int

	flags *pflag.FlagSet
	cfg   genmodel.Config // set by Finalize
}

// AddFlags registers gen-model's flags.
func (o *genModelOptions) AddFlags(f *pflag.FlagSet) {
	o.flags = f
	f.StringVar(&o.Flavour, "flavour", genmodel.FlavourGenAI, "folder layout: genai (GroupQueryAttention, genai_config.json) or optimum (standard ops, config.json, onnx/)")
	f.StringVar(&o.Preset, "preset", "tiny", "shape to start from: tiny, 1b (Llama 3.2 1B) or 3b (Llama 3.2 3B)")
	f.StringVar(&o.DType, "dtype", "", "fp32 or fp16 (default: the preset's; tiny is fp32, 1b/3b fp16)")
	f.StringVar(&o.Out, "out", "", "output folder (required)")
	f.IntVar(&o.Layers, "layers", 0, "number of decoder layers")
	f.IntVar(&o.Hidden, "hidden", 0, "hidden size")
	f.IntVar(&o.Heads, "heads", 0, "attention heads")
	f.IntVar(&o.KVHeads, "kv-heads", 0, "key/value heads (GQA)")
	f.IntVar(&o.HeadSize, "head-size", 0, "head size (default hidden/heads)")
	f.IntVar(&o.Intermediate, "intermediate", 0, "MLP intermediate size")
	f.IntVar(&o.Vocab, "vocab", 0, "vocabulary size, special tokens included")
	f.IntVar(&o.Context, "context-length", 0, "maximum sequence length (rotary table size)")
	f.Uint64Var(&o.Seed, "seed", 1, "weight seed")
	f.BoolVar(&o.Int32IDs, "int32-ids", false, "int32 input_ids (genai flavour)")
	f.BoolVar(&o.Tie, "tie-embeddings", false, "share the embedding and output matrices (default: the preset's)")
	f.BoolVar(&o.External, "external-data", false, "always put weights in an external data file (automatic above 256 MiB)")
	f.IntVar(&o.Workers, "workers", 0, "weight-generation goroutines (default: all CPUs)")
}

// config turns the options into a genmodel.Config.
func (o *genModelOptions) config() (genmodel.Config, error) {
	cfg, err := genmodel.Preset(o.Preset)
	if err != nil {
		return cfg, usagef("--preset: %w", err)
	}
	changed := func(name string) bool { return o.flags != nil && o.flags.Changed(name) }
	cfg.Flavour, cfg.Seed, cfg.Workers = o.Flavour, o.Seed, o.Workers
	if o.DType != "" {
		cfg.DType = o.DType
	}
	for _, ov := range []struct {
		flag string
		dst  *int
		v    int
	}{
		{"layers", &cfg.Layers, o.Layers}, {"hidden", &cfg.Hidden, o.Hidden}, {"heads", &cfg.Heads, o.Heads},
		{"kv-heads", &cfg.KVHeads, o.KVHeads}, {"head-size", &cfg.HeadSize, o.HeadSize},
		{"intermediate", &cfg.Intermediate, o.Intermediate}, {"vocab", &cfg.Vocab, o.Vocab},
		{"context-length", &cfg.ContextLength, o.Context},
	} {
		if changed(ov.flag) {
			*ov.dst = ov.v
		}
	}
	if changed("hidden") || changed("heads") {
		if !changed("head-size") {
			cfg.HeadSize = 0 // recomputed from hidden/heads
		}
	}
	if changed("tie-embeddings") {
		cfg.TieEmbeddings = o.Tie
	}
	cfg.Int32IDs, cfg.ExternalData = o.Int32IDs, o.External
	return cfg, nil
}

func newGenModelCmd(g *globalOptions) *cobra.Command {
	var opts genModelOptions
	cmd := &cobra.Command{
		Use:   "gen-model --out DIR [flags]",
		Short: "Write a Llama-shaped ONNX model with deterministic random weights",
		Long: `Write a Llama-architecture ONNX decoder with deterministic pseudo-random
weights, a config and a byte-level BPE tokenizer into DIR, for tests and
benchmarks. The genai flavour is laid out like onnxruntime-genai's builder
exports (GroupQueryAttention with fused rotary, no position_ids); the optimum
flavour like transformers.js/optimum exports (standard ops, position_ids,
graph under onnx/). Weights larger than 256 MiB are streamed to an external
data file. The output is meaningless text, but the shapes, formats and speed
are those of the real model.`,
		Example: `  llsum dev gen-model --out /tmp/tiny
  llsum dev gen-model --flavour optimum --dtype fp16 --out /tmp/tiny-optimum
  llsum dev gen-model --preset 3b --out /tmp/llama32-3b-shaped
  llsum dev gen-model --layers 4 --hidden 512 --heads 8 --kv-heads 2 --intermediate 1536 \
    --vocab 128256 --context-length 16384 --out /tmp/bench`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGenModel(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// Finalize checks the flags and builds the model's shape.
func (o *genModelOptions) Finalize() error {
	if o.Out == "" {
		return usagef("gen-model: --out is required")
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usagef("gen-model: %w", err)
	}
	o.cfg = cfg
	return nil
}

// runGenModel is `llsum dev gen-model`.
func runGenModel(ctx context.Context, g *globalOptions, opts genModelOptions) error {
	cfg := opts.cfg
	start := time.Now()
	if err := genmodel.Write(ctx, opts.Out, cfg); err != nil {
		return fmt.Errorf("gen-model %s: %w", opts.Out, err)
	}
	var size int64
	err := filepath.WalkDir(opts.Out, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			size += info.Size()
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("gen-model: %w", err)
	}
	if !g.Quiet {
		secs := time.Since(start).Seconds()
		fmt.Fprintf(g.stderr, "wrote %s (%s, %s, %.1f MB) in %.1fs, %.0f MB/s\n",
			opts.Out, cfg.Flavour, opts.Preset, float64(size)/1e6, secs, float64(size)/1e6/secs)
	}
	return nil
}
