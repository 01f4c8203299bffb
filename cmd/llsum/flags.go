package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/internal/envconfig"
)

// choiceValue is a string flag that takes one of a list of values, in the
// manner of cli/cli's StringEnumFlag: help lists the values and pflag
// rejects any other while parsing (exit 2). The flag's default is always
// accepted.
type choiceValue struct {
	name    string
	p       *string
	def     string
	choices []string
	// valid replaces the exact match against choices (patterns such as
	// cuda:N, lists such as md,json).
	valid func(string) bool
}

func (v *choiceValue) String() string { return *v.p }
func (v *choiceValue) Type() string   { return "string" }

// Set accepts s when it is one of the choices.
func (v *choiceValue) Set(s string) error {
	ok := s == v.def
	if !ok && v.valid != nil {
		ok = v.valid(s)
	} else if !ok {
		ok = slices.Contains(v.choices, s)
	}
	if !ok {
		return &choiceError{flag: v.name, value: s, choices: v.choices}
	}
	*v.p = s
	return nil
}

// choiceError is a value a choice flag does not take.
type choiceError struct {
	flag, value string
	choices     []string
}

func (e *choiceError) Error() string {
	return fmt.Sprintf("--%s %q: want %s", e.flag, e.value, orList(e.choices))
}

// orList writes "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// choiceFlag defines a choice flag; valid may be nil (exact match).
func choiceFlag(f *pflag.FlagSet, p *string, name, def string, choices []string, valid func(string) bool, usage string) {
	*p = def
	f.Var(&choiceValue{name: name, p: p, def: def, choices: choices, valid: valid}, name, usage+" {"+strings.Join(choices, "|")+"}")
}

// formatNames parses --format: md, markdown and json, comma-separated,
// any case; ok is false for anything else.
func formatNames(s string) (md, js, ok bool) {
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(strings.ToLower(f)) {
		case "md", "markdown":
			md = true
		case "json":
			js = true
		default:
			return false, false, false
		}
	}
	return md, js, true
}

// validDevice accepts auto, cpu, cuda and cuda:N (any case).
func validDevice(s string) bool {
	_, _, err := onnx.ParseDevice(s)
	return err == nil
}

// modelFlags select and place the ONNX model; generate, doctor, serve,
// dev bench and run share them.
type modelFlags struct {
	Model        string
	Variant      string
	Device       string
	ORTLib       string
	PrefillChunk int
	Threads      int
	CUDAGraph    bool
}

// AddFlags registers the model flags.
func (o *modelFlags) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Model, "model", "", "model folder (genai or transformers.js layout), or a name pulled with llsum pull (default LLSUM_MODEL)")
	f.StringVar(&o.Variant, "variant", "", "graph to use when the folder has several (e.g. q4f16, fp16)")
	choiceFlag(f, &o.Device, "device", "", []string{"auto", "cpu", "cuda", "cuda:N"}, validDevice, "device to run the model on (default LLSUM_DEVICE, else auto)")
	f.StringVar(&o.ORTLib, "ort-lib", "", "ONNX Runtime library path (default: LLSUM_ORT_LIB, beside the binary, the install folder, system)")
	f.IntVar(&o.PrefillChunk, "prefill-chunk", onnx.DefaultPrefillChunk, "prompt tokens per forward pass")
	f.IntVar(&o.Threads, "threads", 0, "CPU threads for ONNX Runtime (0: all cores)")
	f.BoolVar(&o.CUDAGraph, "cuda-graph", false, "replay decode steps as CUDA graphs (GQA models with the KV cache on the GPU)")
}

// engineOptions resolves flags and environment into onnx.Options; the
// error is a model name that is neither a folder nor pulled.
func (o *modelFlags) engineOptions(g *globalOptions) (onnx.Options, error) {
	model := o.Model
	if model == "" {
		model = envconfig.Model()
	}
	model, err := resolveModel(model) // a name given to llsum pull (pull.go)
	if err != nil {
		return onnx.Options{}, err
	}
	device := o.Device
	if device == "" {
		device = envconfig.Device()
	}
	return onnx.Options{
		Model:        model,
		Variant:      o.Variant,
		Device:       device,
		Lib:          onnx.DefaultLibOptions(o.ORTLib),
		PrefillChunk: o.PrefillChunk,
		Threads:      o.Threads,
		CUDAGraph:    o.CUDAGraph,
		FullLogits:   envconfig.FullLogits(),
		Notice:       g.notice,
	}, nil
}

// extractFlags are the text-extraction flags shared by run, chunk and
// extract.
type extractFlags struct {
	PDFEngine    string
	PDFPassword  string
	StripHeaders bool
	DocTimeout   time.Duration
	DocMemory    int64
}

// AddFlags registers the extraction flags.
func (o *extractFlags) AddFlags(f *pflag.FlagSet) {
	choiceFlag(f, &o.PDFEngine, "pdf-engine", "auto", []string{"auto", "ledongthuc", "pdfium"}, nil, "PDF text engine")
	f.StringVar(&o.PDFPassword, "pdf-password", "", "password for encrypted PDFs (or LLSUM_PDF_PASSWORD)")
	f.BoolVar(&o.StripHeaders, "strip-headers", false, "drop running headers and footers repeated across pages")
	f.DurationVar(&o.DocTimeout, "doc-timeout", 2*time.Minute, "time limit for one document: extraction, and in run also chunking and summarizing (0: none)")
	f.Var(byteSizeValue{&o.DocMemory}, "doc-memory", "memory budget for reading one document, e.g. 512MiB; a document over it fails alone (auto: a quarter of RAM divided by --jobs, 64–192 MiB; none: no limit)")
}

// options resolves the flags and the environment into extract.Options for
// jobs documents read at once.
func (o *extractFlags) options(jobs int) extract.Options {
	pw := o.PDFPassword
	if pw == "" {
		pw = envconfig.PDFPassword()
	}
	return extract.Options{
		PDFEngine:    o.PDFEngine,
		Password:     pw,
		StripHeaders: o.StripHeaders,
		Timeout:      o.DocTimeout,
		MemoryBudget: docMemory(o.DocMemory, jobs),
		CacheDir:     filepath.Join(envconfig.CacheDir(), "pdfium"),
	}
}
