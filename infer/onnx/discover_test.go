// Model folders laid out as users download them, built from generated tiny
// models: whole onnxruntime-genai repositories, transformers.js folders
// with several graphs, genai_config.json at the top with the graph under
// onnx/, and incomplete downloads.

package onnx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/genmodel"
)

// writeGen writes a generated tiny model into dir after edit.
func writeGen(t *testing.T, dir string, edit func(*genmodel.Config)) genmodel.Config {
	t.Helper()
	cfg := genmodel.Tiny()
	edit(&cfg)
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		t.Fatalf("genmodel %s: %v", dir, err)
	}
	return cfg
}

// genaiRepo lays out a whole onnxruntime-genai repository download:
// config.json at the top and the builder's variant folders below.
func genaiRepo(t *testing.T) string {
	root := t.TempDir()
	writeGen(t, filepath.Join(root, "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4"), func(c *genmodel.Config) {
		c.DType, c.AccuracyLevel = genmodel.DTypeInt4, 4
	})
	writeGen(t, filepath.Join(root, "cuda", "cuda-fp16"), func(c *genmodel.Config) { c.DType = genmodel.DTypeFP16 })
	writeGen(t, filepath.Join(root, "cuda", "cuda-int4-rtn-block-32"), func(c *genmodel.Config) {
		c.DType, c.IO = genmodel.DTypeInt4, genmodel.DTypeFP16
	})
	writeFile(t, filepath.Join(root, "config.json"), `{"num_hidden_layers": 2, "vocab_size": 512}`)
	writeFile(t, filepath.Join(root, "README.md"), "a model card")
	return root
}

func TestGenAIRepoRoot(t *testing.T) {
	needRuntime(t)
	root := genaiRepo(t)
	for _, c := range []struct {
		variant, device, want, path string
	}{
		{"", "cpu", "cpu-int4-rtn-block-32-acc-level-4", "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4"},
		{"", "cuda:0", "cuda-fp16", "cuda/cuda-fp16"},
		{"cuda-int4", "cpu", "cuda-int4-rtn-block-32", "cuda/cuda-int4-rtn-block-32"},
		{"cuda/cuda-fp16", "cpu", "cuda-fp16", "cuda/cuda-fp16"},
		{"cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4/", "cuda:0", "cpu-int4-rtn-block-32-acc-level-4", ""},
	} {
		s, err := ReadSpecFor(root, c.variant, c.device)
		if err != nil {
			t.Fatalf("%q on %s: %v", c.variant, c.device, err)
		}
		if s.Variant != c.want || s.Dir != filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(c.path+"/", "/"))) && c.path != "" || s.Layout != LayoutGenAI {
			t.Errorf("%q on %s: variant %q dir %s layout %s, want %s", c.variant, c.device, s.Variant, s.Dir, s.Layout, c.want)
		}
		if (c.variant == "") != (s.Choice != "") {
			t.Errorf("%q on %s: choice %q", c.variant, c.device, s.Choice)
		}
		if c.variant == "" && (!strings.Contains(s.Choice, c.want+" ("+c.path+")") || strings.Contains(s.Choice, "\n") ||
			!strings.Contains(s.Choice, "cpu-int4-rtn-block-32-acc-level-4, cuda-fp16, cuda-int4-rtn-block-32")) {
			t.Errorf("choice line %q", s.Choice)
		}
	}
	_, err := ReadSpec(root, "int8")
	if err == nil || !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), `no such variant: "int8" (have: cpu-int4-rtn-block-32-acc-level-4, cuda-fp16, cuda-int4-rtn-block-32)`) {
		t.Errorf("unknown variant: %v", err)
	}
	_, err = ReadSpec(root, "cu")
	if err == nil || !strings.Contains(err.Error(), `no such variant: "cu" matches several (cuda-fp16, cuda-int4-rtn-block-32)`) {
		t.Errorf("ambiguous variant: %v", err)
	}
	// Opened at the root on the CPU: the cpu-int4 variant, said in one
	// notice; the same tokens as opening its folder directly.
	var notices []string
	e := openEngine(t, root, Options{Notice: func(s string) { notices = append(notices, s) }})
	if len(notices) != 1 || !strings.Contains(notices[0], "using variant cpu-int4-rtn-block-32-acc-level-4") {
		t.Errorf("notices %q", notices)
	}
	direct := openEngine(t, filepath.Join(root, "cpu_and_mobile", "cpu-int4-rtn-block-32-acc-level-4"), Options{})
	a := generate(t, e, []GenRequest{greedy(prompts[0], 8)})[0]
	b := generate(t, direct, []GenRequest{greedy(prompts[0], 8)})[0]
	if !reflect.DeepEqual(a.OutputIDs, b.OutputIDs) || len(a.OutputIDs) == 0 {
		t.Errorf("root %v, variant folder %v", a.OutputIDs, b.OutputIDs)
	}
	// Summarizing at the root takes the tokenizer beside the variant.
	cm, err := OpenChatModel(context.Background(), Options{Model: root, Device: "cpu", Lib: DefaultLibOptions("")})
	if err != nil {
		t.Fatalf("chat model at the root: %v", err)
	}
	if n, err := cm.CountTokens([]infer.Message{{Role: "user", Content: "hello"}}); err != nil || n == 0 {
		t.Errorf("count tokens: %d %v", n, err)
	}
	_ = cm.Close()
	// Every variant runs on the CPU, the fp16-I/O int4 one too.
	for _, v := range []string{"cuda-fp16", "cuda-int4-rtn-block-32"} {
		e := openEngine(t, root, Options{Variant: v})
		checkBatchedEqualsAlone(t, e, 6)
	}
}

func TestOptimumRootPicksForDevice(t *testing.T) {
	needRuntime(t)
	root := t.TempDir()
	for _, d := range []struct{ dtype, io string }{{"fp32", ""}, {"fp16", ""}, {"int4", "fp32"}, {"int4", "fp16"}} {
		writeGen(t, root, func(c *genmodel.Config) {
			c.Flavour, c.DType, c.IO = genmodel.FlavourOptimum, d.dtype, d.io
		})
	}
	vs, err := FindVariants(root)
	if err != nil || variantNames(vs) != "fp16, fp32, q4, q4f16" {
		t.Fatalf("variants %v: %v", vs, err)
	}
	for device, want := range map[string]string{"cpu": "q4", "cuda:1": "fp16"} {
		s, err := ReadSpecFor(root, "", device)
		if err != nil || s.Variant != want || s.Layout != LayoutOptimum || !strings.Contains(s.Choice, "of: fp16, fp32, q4, q4f16") {
			t.Errorf("%s: %v %+v", device, err, s)
		}
	}
	e := openEngine(t, root, Options{})
	if e.Spec().Variant != "q4" || DTypeName(e.Spec().KVType) != "fp32" {
		t.Errorf("opened %s (KV %s)", e.Spec().Variant, DTypeName(e.Spec().KVType))
	}
	checkBatchedEqualsAlone(t, e, 6)
}

// Repositories laid out for both runtimes: genai_config.json at the top,
// the graph under onnx/ — with the name genai_config.json gives, or as
// transformers.js names it.
func TestHybridGenAIRoot(t *testing.T) {
	needRuntime(t)
	ref := openEngine(t, genModel(t, genmodel.FlavourGenAI, genmodel.DTypeFP32, false), Options{})
	want := generate(t, ref, []GenRequest{greedy(prompts[1], 8)})[0].OutputIDs
	for _, c := range []struct {
		name, graph string
		edit        func(*genmodel.Config)
	}{
		{"same name", "onnx/model.onnx", func(c *genmodel.Config) { c.ExternalData = true }},
		{"transformers.js name", "onnx/model_q4f16.onnx", func(c *genmodel.Config) {
			c.DType, c.IO = genmodel.DTypeInt4, genmodel.DTypeFP16
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			writeGen(t, d, c.edit)
			if err := os.MkdirAll(filepath.Join(d, "onnx"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"model.onnx", "model.onnx.data"} {
				to := filepath.Join(d, "onnx", f)
				if f == "model.onnx" {
					to = filepath.Join(d, filepath.FromSlash(c.graph))
				}
				if err := os.Rename(filepath.Join(d, f), to); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			}
			e := openEngine(t, d, Options{})
			if e.Spec().Layout != LayoutGenAI || e.Spec().Graph != filepath.Join(d, filepath.FromSlash(c.graph)) {
				t.Errorf("layout %s graph %s", e.Spec().Layout, e.Spec().Graph)
			}
			got := generate(t, e, []GenRequest{greedy(prompts[1], 8)})[0].OutputIDs
			if c.name == "same name" && !reflect.DeepEqual(got, want) {
				t.Errorf("tokens %v, want %v", got, want)
			}
			if len(got) == 0 {
				t.Error("no tokens")
			}
		})
	}
}

// Every incomplete download is named before any generation: a missing or
// short external data file, the first of one file or the second of several.
func TestIncompleteDownload(t *testing.T) {
	needRuntime(t)
	for _, c := range []struct {
		name    string
		edit    func(*genmodel.Config)
		file    string
		damage  func(p string) error
		message string
	}{
		{"genai data short", func(c *genmodel.Config) { c.ExternalData = true }, "model.onnx.data",
			func(p string) error { return os.Truncate(p, 1000) }, "model.onnx.data is 1000 of "},
		{"genai data missing", func(c *genmodel.Config) { c.ExternalData = true }, "model.onnx.data",
			os.Remove, "model.onnx.data is missing (the graph needs "},
		{"optimum second file missing", func(c *genmodel.Config) {
			c.Flavour, c.DType, c.DataFileBytes, c.ExternalData = genmodel.FlavourOptimum, genmodel.DTypeFP16, 100_000, true
		}, "onnx/model_fp16.onnx_data_1", os.Remove, "model_fp16.onnx_data_1 is missing"},
		{"optimum second file short", func(c *genmodel.Config) {
			c.Flavour, c.DataFileBytes, c.ExternalData = genmodel.FlavourOptimum, 100_000, true
		}, "onnx/model.onnx_data_1", func(p string) error { return os.Truncate(p, 4096) }, "model.onnx_data_1 is 4096 of "},
		{"int4 data empty", func(c *genmodel.Config) {
			c.DType, c.ExternalData = genmodel.DTypeInt4, true
		}, "model.onnx.data", func(p string) error { return os.Truncate(p, 0) }, "model.onnx.data is 0 of "},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			writeGen(t, d, c.edit)
			p := filepath.Join(d, filepath.FromSlash(c.file))
			// Intact, it loads and generates.
			e := openEngine(t, d, Options{})
			if len(generate(t, e, []GenRequest{greedy(prompts[0], 2)})[0].OutputIDs) == 0 {
				t.Fatal("no tokens from the intact model")
			}
			if err := c.damage(p); err != nil {
				t.Fatal(err)
			}
			_, err := ReadSpec(d, "")
			var ie *IncompleteError
			if err == nil || !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrBadModel) || !errors.As(err, &ie) ||
				!strings.Contains(err.Error(), "incomplete download: "+p) || !strings.Contains(err.Error(), c.message) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("ReadSpec: %v, want one line naming %s and %q", err, p, c.message)
			}
			if ie.Want <= ie.Have {
				t.Errorf("want %d bytes, have %d", ie.Want, ie.Have)
			}
			_, err = Open(context.Background(), Options{Model: d, Device: "cpu", Lib: DefaultLibOptions("")})
			if !errors.Is(err, ErrIncomplete) {
				t.Errorf("Open: %v", err)
			}
		})
	}
}

// Graphs that compute the last position's logits only — a logits_to_keep
// or num_logits_to_keep input (fed 1) or a pruned lm_head — give the same
// tokens as the full graph with the same weights, batched and alone.
func TestLastLogitsGraphs(t *testing.T) {
	needRuntime(t)
	for _, c := range []struct {
		name string
		edit func(*genmodel.Config)
		keep string
	}{
		{"optimum logits_to_keep", func(c *genmodel.Config) {
			c.Flavour, c.LogitsToKeep = genmodel.FlavourOptimum, "logits_to_keep"
		}, "logits_to_keep"},
		{"optimum fp16 num_logits_to_keep", func(c *genmodel.Config) {
			c.Flavour, c.DType, c.LogitsToKeep = genmodel.FlavourOptimum, genmodel.DTypeFP16, "num_logits_to_keep"
		}, "num_logits_to_keep"},
		{"genai fp16 pruned lm_head", func(c *genmodel.Config) { c.DType, c.PruneLMHead = genmodel.DTypeFP16, true }, ""},
		{"genai int4 fp16 pruned lm_head", func(c *genmodel.Config) {
			c.DType, c.IO, c.PruneLMHead = genmodel.DTypeInt4, genmodel.DTypeFP16, true
		}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, full := t.TempDir(), t.TempDir()
			cfg := writeGen(t, d, c.edit)
			cfg.LogitsToKeep, cfg.PruneLMHead = "", false
			if err := genmodel.Write(context.Background(), full, cfg); err != nil {
				t.Fatal(err)
			}
			e := openEngine(t, d, Options{PrefillChunk: 4})
			ref := openEngine(t, full, Options{PrefillChunk: 4, FullLogits: true})
			if s := e.Spec(); !s.LastLogits || s.LogitsRewritten || s.KeepInput != c.keep || s.StaticOutputs || ref.Spec().LastLogits {
				t.Fatalf("spec: last %v keep %q static %v", s.LastLogits, s.KeepInput, s.StaticOutputs)
			}
			checkSameTokens(t, e, ref)
		})
	}
}

// checkSameTokens: e gives the greedy tokens of ref on every test prompt,
// all in one batch, and the same batched as alone.
func checkSameTokens(t *testing.T, e, ref *Engine) {
	t.Helper()
	var reqs []GenRequest
	for _, p := range prompts {
		reqs = append(reqs, greedy(p, 8))
	}
	got, want := outIDs(generate(t, e, reqs)), outIDs(generate(t, ref, reqs))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tokens %v, reference graph %v", got, want)
	}
	checkBatchedEqualsAlone(t, e, 6)
}
