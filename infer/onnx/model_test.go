package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(from, to); err != nil {
		t.Fatal(err)
	}
}

// tokenizerJSON writes a tokenizer.json with n tokens.
func tokenizerJSON(n int) string {
	v := map[string]int{}
	for i := 0; i < n; i++ {
		v[fmt.Sprintf("t%d", i)] = i
	}
	b, _ := json.Marshal(map[string]any{"model": map[string]any{"type": "BPE", "vocab": v}})
	return string(b)
}

const optimumConfig = `{"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
 "hidden_size": 64, "vocab_size": 1000, "max_position_embeddings": 128, "eos_token_id": [2, 7], "bos_token_id": 1}`

// optimumFolder lays the tiny export out as a transformers.js folder with
// two variants.
func optimumFolder(t *testing.T) string {
	d := t.TempDir()
	src := filepath.Join(sharedModel(t, "tiny-qwen2-gqa-fp16"), "decoder.onnx")
	writeFile(t, filepath.Join(d, "config.json"), optimumConfig)
	writeFile(t, filepath.Join(d, "generation_config.json"), `{"eos_token_id": 9}`)
	link(t, src, filepath.Join(d, "onnx", "model_fp16.onnx"))
	link(t, src, filepath.Join(d, "onnx", "model_q4f16.onnx"))
	return d
}

func TestReadSpecLayouts(t *testing.T) {
	needRuntime(t)
	s, err := ReadSpec(sharedModel(t, "tiny-qwen2-gqa-fp16"), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Layout != LayoutGenAI || s.Layers != 2 || s.KVHeads != 2 || s.HeadSize != 16 || s.Vocab != 1000 ||
		s.ContextLength != 128 || DTypeName(s.IDsType) != "int32" || DTypeName(s.KVType) != "fp16" ||
		DTypeName(s.LogitsType) != "fp16" || s.HasPosIDs || !s.ShareBuffer {
		t.Errorf("tiny genai spec: %+v", s)
	}
	d, err := ReadSpec(sharedModel(t, "dummy-decoder-fp32"), "")
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasPosIDs || d.ShareBuffer || DTypeName(d.KVType) != "fp32" || d.Layers != 1 {
		t.Errorf("dummy spec: %+v", d)
	}
	o, err := ReadSpec(optimumFolder(t), "q4f16")
	if err != nil {
		t.Fatal(err)
	}
	if o.Layout != LayoutOptimum || o.Variant != "q4f16" || fmt.Sprint(o.EOS) != "[2 7 9]" || o.HeadSize != 16 {
		t.Errorf("optimum spec: layout %s variant %s eos %v head %d", o.Layout, o.Variant, o.EOS, o.HeadSize)
	}
	if o2, err := ReadSpec(optimumFolder(t), "model_fp16.onnx"); err != nil || o2.Variant != "fp16" {
		t.Errorf("variant by file name: %v %+v", err, o2)
	}
}

func TestOptimumLayoutGenerates(t *testing.T) {
	dir := optimumFolder(t)
	e := openEngine(t, dir, Options{Variant: "fp16"})
	ref := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{})
	a := generate(t, e, []GenRequest{greedy(prompts[0], 6)})[0]
	b := generate(t, ref, []GenRequest{greedy(prompts[0], 6)})[0]
	if fmt.Sprint(a.OutputIDs) != fmt.Sprint(b.OutputIDs) {
		t.Errorf("same graph, two layouts: %v vs %v", a.OutputIDs, b.OutputIDs)
	}
}

func TestBadModelFolders(t *testing.T) {
	needRuntime(t)
	tiny := sharedModel(t, "tiny-qwen2-gqa-fp16")
	genai, err := os.ReadFile(filepath.Join(tiny, "genai_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		setup   func(d string)
		variant string
		want    string
	}{
		{"empty", func(d string) {}, "", "neither genai_config.json nor config.json"},
		{"missing graph", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), string(genai))
		}, "", "graph decoder.onnx missing"},
		{"bad json", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), "{")
		}, "", "genai_config.json"},
		{"config vocab", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), strings.Replace(string(genai), `"vocab_size": 1000`, `"vocab_size": 999`, 1))
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "decoder.onnx"))
		}, "", "vocab_size 999 in config but logits have 1000"},
		{"tokenizer vocab", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), string(genai))
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "decoder.onnx"))
			writeFile(t, filepath.Join(d, "tokenizer.json"), tokenizerJSON(1200))
		}, "", "tokenizer has 1200 tokens but the logits only 1000"},
		{"layers", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), strings.Replace(string(genai), `"num_hidden_layers": 2`, `"num_hidden_layers": 28`, 1))
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "decoder.onnx"))
		}, "", "config says 28 layers, graph has 2"},
		{"not onnx", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), string(genai))
			writeFile(t, filepath.Join(d, "decoder.onnx"), "not a graph")
		}, "", "decoder.onnx does not load"},
		{"several variants", func(d string) {
			writeFile(t, filepath.Join(d, "config.json"), optimumConfig)
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "onnx", "model_fp16.onnx"))
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "onnx", "model_q4.onnx"))
		}, "", "several graphs (fp16, q4)"},
		{"unknown variant", func(d string) {
			writeFile(t, filepath.Join(d, "config.json"), optimumConfig)
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "onnx", "model_fp16.onnx"))
		}, "int8", `no variant "int8" (have: fp16)`},
		{"no graph", func(d string) {
			writeFile(t, filepath.Join(d, "config.json"), optimumConfig)
		}, "", "no .onnx graph under onnx/"},
		{"eos outside", func(d string) {
			writeFile(t, filepath.Join(d, "genai_config.json"), strings.Replace(string(genai), `"eos_token_id": 2`, `"eos_token_id": [2, 5000]`, 1))
			link(t, filepath.Join(tiny, "decoder.onnx"), filepath.Join(d, "decoder.onnx"))
		}, "", "EOS id 5000 outside the vocabulary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			c.setup(d)
			_, err := ReadSpec(d, c.variant)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, d) || strings.Contains(msg, "\n") || !errors.Is(err, ErrBadModel) {
				t.Errorf("error %q: want one line naming %s and %q", msg, d, c.want)
			}
		})
	}
	if _, err := ReadSpec(filepath.Join(t.TempDir(), "nope"), ""); err == nil || !errors.Is(err, ErrBadModel) {
		t.Errorf("missing folder: %v", err)
	}
}
