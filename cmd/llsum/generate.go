package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/internal/envconfig"
)

// generateOptions are the flags of `llsum generate`.
type generateOptions struct {
	modelFlags
	Prompt       string
	InputIDs     string
	MaxNewTokens int
	Sampling     infer.Sampling
	JSON         bool

	ids []int // --input-ids, parsed by Finalize
}

// AddFlags registers generate's flags.
func (o *generateOptions) AddFlags(f *pflag.FlagSet) {
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Prompt, "prompt", "", "prompt text (needs the model's tokenizer)")
	f.StringVar(&o.InputIDs, "input-ids", "", "prompt as token ids, e.g. 1,2,3 (no tokenizer needed)")
	f.IntVar(&o.MaxNewTokens, "max-new-tokens", 64, "most tokens to generate")
	f.Float64Var(&o.Sampling.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	f.Float64Var(&o.Sampling.TopP, "top-p", 0, "nucleus sampling mass (0: off)")
	f.IntVar(&o.Sampling.TopK, "top-k", 0, "sample among the k likeliest tokens (0: all)")
	f.Int64Var(&o.Sampling.Seed, "seed", 0, "random seed for sampling")
	f.Float64Var(&o.Sampling.RepetitionPenalty, "repetition-penalty", 0, "penalty for tokens already seen (1 or 0: off)")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object")
}

func newGenerateCmd(g *globalOptions) *cobra.Command {
	var opts generateOptions
	cmd := &cobra.Command{
		Use:   "generate --model DIR (--prompt TEXT | --input-ids 1,2,3) [flags]",
		Short: "Continue a prompt with the ONNX model (engine check)",
		Long: `Run the ONNX Runtime engine on one prompt and print the new tokens.

--input-ids works on any model folder, also one without tokenizer files.
Greedy decoding unless --temperature is set. With --json the result is
{"input_ids":[…],"output_ids":[…],"text":"…","stop":"eos|length|context",
"prefill_ms":…,"decode_tokens_per_s":…} (text only with a tokenizer).`,
		Example: `  llsum generate --model ~/models/llama-3.2-1b --input-ids 128000,9906 --json`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// generateOutput is generate's JSON result.
type generateOutput struct {
	InputIDs         []int   `json:"input_ids"`
	OutputIDs        []int   `json:"output_ids"`
	Text             string  `json:"text,omitempty"`
	Stop             string  `json:"stop"`
	PrefillMs        float64 `json:"prefill_ms"`
	DecodeTokensPerS float64 `json:"decode_tokens_per_s"`
}

// parseIDs reads "1,2,3" (spaces allowed).
func parseIDs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--input-ids: %q is not a token id", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--input-ids: no ids")
	}
	return out, nil
}

// Finalize checks the flag combinations and parses --input-ids.
func (o *generateOptions) Finalize() error {
	if (o.Prompt == "") == (o.InputIDs == "") {
		return usagef("generate needs exactly one of --prompt or --input-ids")
	}
	if o.MaxNewTokens < 1 {
		return usagef("--max-new-tokens must be at least 1")
	}
	if o.Model == "" && envconfig.Model() == "" {
		return usagef("generate needs --model DIR (or LLSUM_MODEL)")
	}
	if o.InputIDs != "" {
		ids, err := parseIDs(o.InputIDs)
		if err != nil {
			return &usageError{err: err}
		}
		o.ids = ids
	}
	return nil
}

// runGenerate is `llsum generate`.
func runGenerate(ctx context.Context, g *globalOptions, opts generateOptions) error {
	eo, err := opts.engineOptions(g)
	if err != nil {
		return err
	}
	ids := opts.ids
	var enc *chat.Encoder
	if opts.Prompt != "" || onnx.HasTokenizer(eo.Model) {
		var err error
		if enc, err = chat.Load(eo.Model); err != nil {
			return configError(err)
		}
	}
	if opts.Prompt != "" {
		var err error
		ids, err = enc.EncodeChat([]infer.Message{{Role: infer.RoleUser, Content: opts.Prompt}})
		if err != nil {
			return configError(err)
		}
	}
	e, err := onnx.Open(ctx, eo)
	if err != nil {
		return configError(err)
	}
	defer e.Close()
	res, err := e.Generate(ctx, []onnx.GenRequest{{InputIDs: ids, MaxNewTokens: opts.MaxNewTokens, Sampling: opts.Sampling}})
	if err != nil {
		return err
	}
	r := res[0]
	out := generateOutput{InputIDs: ids, OutputIDs: r.OutputIDs, Stop: r.Stop, PrefillMs: r.PrefillMs, DecodeTokensPerS: r.DecodeTokensPerSecond()}
	if out.OutputIDs == nil {
		out.OutputIDs = []int{}
	}
	if enc != nil {
		if out.Text, err = enc.Decode(out.OutputIDs); err != nil {
			return err
		}
	}
	if opts.JSON {
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(g.stdout, string(b))
		return err
	}
	if enc != nil {
		fmt.Fprintln(g.stdout, out.Text)
		return nil
	}
	strs := make([]string, len(out.OutputIDs))
	for i, id := range out.OutputIDs {
		strs[i] = strconv.Itoa(id)
	}
	fmt.Fprintln(g.stdout, strings.Join(strs, ","))
	if !g.Quiet {
		fmt.Fprintf(g.stderr, "llsum: stop %s, prefill %.1f ms, decode %.1f tokens/s on %s\n", out.Stop, out.PrefillMs, out.DecodeTokensPerS, e.Device())
	}
	return nil
}
