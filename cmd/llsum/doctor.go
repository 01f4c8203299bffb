package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/internal/envconfig"
)

// doctorOptions are the flags of `llsum doctor`.
type doctorOptions struct {
	modelFlags
}

// AddFlags registers doctor's flags.
func (o *doctorOptions) AddFlags(f *pflag.FlagSet) { o.modelFlags.AddFlags(f) }

func newDoctorCmd(g *globalOptions) *cobra.Command {
	var opts doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [--model DIR]",
		Short: "Check the ONNX Runtime install, the GPU and a model folder",
		Long: `Print the ONNX Runtime library llsum finds and its version, whether the
CUDA provider loads and on which GPU, and, with --model (or LLSUM_MODEL),
validate the model folder: layout, graph, dtypes, layers, context length,
vocabulary against the tokenizer, EOS ids, and that every external weight
file the graph references is there in full ("incomplete download: FILE is
N of M bytes"). Given a repository root with several variants, it checks the
one a run would pick (--variant picks another). Exits 2 when something is
wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runDoctor is `llsum doctor`.
func runDoctor(ctx context.Context, g *globalOptions, opts doctorOptions) error {
	w := g.stdout
	eo, err := opts.engineOptions(g)
	if err != nil {
		return err
	}
	rt, err := onnx.LoadRuntime(eo.Lib)
	if err != nil {
		fmt.Fprintf(w, "onnxruntime: not usable\n")
		return configError(err)
	}
	fmt.Fprintf(w, "onnxruntime: %s (%s), version %s\n", rt.Path, rt.Source, rt.Version)
	device := "cpu" // where a run would go: picks among a folder's variants
	if err := onnx.CheckCUDA(0); err != nil {
		fmt.Fprintf(w, "cuda:        %s\n", strings.TrimPrefix(err.Error(), "cuda: "))
	} else {
		fmt.Fprintf(w, "cuda:        provider loads\n")
		device = "cuda:0"
	}
	if kind, id, err := onnx.ParseDevice(eo.Device); err == nil && kind != "auto" {
		device = fmt.Sprintf("%s:%d", kind, id)
	}
	if gpu := gpuNames(ctx); gpu != "" {
		fmt.Fprintf(w, "gpu:         %s\n", gpu)
	} else {
		fmt.Fprintf(w, "gpu:         none found (nvidia-smi)\n")
	}
	if eo.Model == "" {
		fmt.Fprintf(w, "model:       none given (--model DIR or NAME, or LLSUM_MODEL; get one with llsum pull NAME)\n")
		return nil
	}
	// ReadSpecFor also checks that the external weight files are complete.
	s, err := onnx.ReadSpecFor(eo.Model, eo.Variant, device)
	if err != nil {
		fmt.Fprintf(w, "model:       INVALID\n")
		return configError(err)
	}
	if s.Choice != "" {
		fmt.Fprintf(g.stderr, "%s\n", s.Choice)
	}
	fmt.Fprint(w, describeSpec(s))
	return nil
}

// describeSpec renders a validated model for doctor.
func describeSpec(s *onnx.ModelSpec) string {
	var b strings.Builder
	p := func(k, format string, a ...any) { fmt.Fprintf(&b, "%-13s%s\n", k+":", fmt.Sprintf(format, a...)) }
	p("model", "%s", s.Dir)
	graph := filepath.Base(s.Graph)
	if s.Variant != "" {
		graph += " (variant " + s.Variant + ")"
	}
	switch {
	case s.LastLogits:
		graph += ", logits of the last position only"
	case s.LogitsPerPosition() && !envconfig.FullLogits():
		graph += ", logits of every position (rewritten at open for the last one only)"
	}
	p("layout", "%s, graph %s", s.Layout, graph)
	p("dtypes", "ids %s, KV %s, logits %s", onnx.DTypeName(s.IDsType), onnx.DTypeName(s.KVType), onnx.DTypeName(s.LogitsType))
	pos := "position_ids input"
	if !s.HasPosIDs {
		pos = "positions from attention_mask (shared past/present buffer)"
	}
	p("layers", "%d, %d KV heads × %d, %s", s.Layers, s.KVHeads, s.HeadSize, pos)
	p("context", "%d tokens; KV cache %.1f MiB per 1000 tokens per sequence", s.ContextLength,
		float64(1000*s.Layers*2*s.KVHeads*s.HeadSize*dtypeBytes(onnx.DTypeName(s.KVType)))/(1<<20))
	tok := "no tokenizer.json (token ids only)"
	if s.HasTokenizer {
		tok = fmt.Sprintf("tokenizer %d tokens, fits", s.TokenizerVocab)
	}
	p("vocabulary", "%d logits; %s", s.Vocab, tok)
	p("eos ids", "%v", s.EOS)
	return b.String()
}

func dtypeBytes(name string) int {
	if name == "fp16" {
		return 2
	}
	return 4
}

// gpuNames asks nvidia-smi for the GPUs ("" when there is none).
func gpuNames(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=index,name,memory.total,driver_version", "--format=csv,noheader").Output()
	if err != nil {
		return ""
	}
	return strings.Join(strings.Split(strings.TrimSpace(string(out)), "\n"), "; ")
}
