package onnx

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Variant is one loadable graph found in a model folder: the folder itself
// (a genai variant folder, or an optimum folder with one graph), a genai
// variant folder below a repository root (cpu_and_mobile/cpu-int4-…,
// cuda/cuda-fp16), or one onnx/model_*.onnx graph of an optimum or hybrid
// folder.
type Variant struct {
	// Name is what --variant matches: the genai folder's name
	// ("cuda-fp16") or the optimum graph's suffix ("q4f16", "fp32").
	Name string
	// Path is where it lives, relative to the folder given.
	Path string
	// Dir holds its config files (genai_config.json or config.json) and
	// tokenizer.
	Dir string
	// Graph is the .onnx file; "" for a genai variant folder, whose
	// genai_config.json names it.
	Graph string
	// GenAI: genai_config.json describes it (else config.json).
	GenAI bool
}

// FindVariants lists the graphs a model folder offers, in a fixed order.
// It reads genai_config.json where one is found at the top (its decoder
// file name) and nothing else; an error names what the folder lacks.
func FindVariants(dir string) ([]Variant, error) {
	if fileExists(filepath.Join(dir, "genai_config.json")) {
		return genaiRootVariants(dir)
	}
	var vs []Variant
	// A whole onnxruntime-genai repository: variant folders one or two
	// levels down (cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4,
	// cuda/cuda-fp16, or a flat cuda-fp16/).
	for _, pat := range []string{"*/genai_config.json", "*/*/genai_config.json"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		sort := slices.Clone(m)
		slices.Sort(sort)
		for _, cfg := range sort {
			sub := filepath.Dir(cfg)
			rel, _ := filepath.Rel(dir, sub)
			vs = append(vs, Variant{Name: filepath.Base(sub), Path: filepath.ToSlash(rel), Dir: sub, GenAI: true})
		}
	}
	if fileExists(filepath.Join(dir, "config.json")) {
		vs = append(vs, optimumGraphs(dir, dir, false)...)
	}
	if len(vs) == 0 {
		if fileExists(filepath.Join(dir, "config.json")) {
			return nil, badModel(dir, "no .onnx graph under onnx/ and no genai variant folder (*/genai_config.json)")
		}
		return nil, badModel(dir, "neither genai_config.json nor config.json found, nor variant folders with one")
	}
	return uniqueNames(vs), nil
}

// genaiRootVariants handles genai_config.json at the top: the graph it
// names beside it (the builder's layout), or under onnx/ (repositories laid
// out for both onnxruntime-genai and transformers.js).
func genaiRootVariants(dir string) ([]Variant, error) {
	var g genaiConfig
	if err := readJSON(filepath.Join(dir, "genai_config.json"), &g); err != nil {
		return nil, badModel(dir, "genai_config.json: %v", err)
	}
	name := g.Model.Decoder.Filename
	if name == "" {
		return nil, badModel(dir, "genai_config.json has no model.decoder.filename")
	}
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, "onnx", filepath.Base(name))} {
		if fileExists(p) {
			rel, _ := filepath.Rel(dir, p)
			return []Variant{{Path: filepath.ToSlash(rel), Dir: dir, Graph: p, GenAI: true}}, nil
		}
	}
	if vs := optimumGraphs(dir, dir, true); len(vs) > 0 {
		return vs, nil
	}
	return nil, badModel(dir, "graph %s missing (genai_config.json names it; not under onnx/ either)", name)
}

// optimumGraphs lists onnx/model*.onnx (or *.onnx at the top when onnx/
// has none): onnx/model_q4f16.onnx is variant "q4f16", onnx/model.onnx
// "fp32". Encoders, embedders and vision towers are not decoders.
func optimumGraphs(root, dir string, genai bool) []Variant {
	var out []Variant
	seen := map[string]bool{}
	for _, sub := range []string{"onnx", "."} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.onnx"))
		slices.Sort(m)
		for _, p := range m {
			stem := strings.TrimSuffix(filepath.Base(p), ".onnx")
			if strings.Contains(stem, "encoder") || strings.Contains(stem, "embed") || strings.Contains(stem, "vision") {
				continue
			}
			v := "fp32"
			if i := strings.Index(stem, "_"); i >= 0 {
				v = stem[i+1:]
			}
			if seen[v] {
				continue
			}
			seen[v] = true
			rel, _ := filepath.Rel(root, p)
			out = append(out, Variant{Name: v, Path: filepath.ToSlash(rel), Dir: dir, Graph: p, GenAI: genai})
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// uniqueNames falls back to the path where two variants share a name.
func uniqueNames(vs []Variant) []Variant {
	count := map[string]int{}
	for _, v := range vs {
		count[v.Name]++
	}
	for i := range vs {
		if count[vs[i].Name] > 1 {
			vs[i].Name = vs[i].Path
		}
	}
	return vs
}

func variantNames(vs []Variant) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// PickVariant chooses among a folder's variants: the one --variant names
// (its name, its path, its file name, or a prefix of one name), else the
// only one, else the best for the device (cuda-fp16, then cuda-int4, on a
// GPU; cpu-int4, then q4, on the CPU). choice is a one-line notice saying
// which was picked among several ("" when there was nothing to choose).
func PickVariant(dir string, vs []Variant, want, device string) (v Variant, choice string, err error) {
	if want != "" {
		norm := func(s string) string {
			s = strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(s), "/"), ".onnx")
			return strings.TrimPrefix(s, "model_")
		}
		for _, v := range vs {
			if want == v.Name || want == v.Path || norm(want) == v.Name || norm(want) == norm(v.Path) || norm(want) == norm(filepath.Base(v.Path)) {
				return v, "", nil
			}
		}
		var pre []Variant
		for _, v := range vs {
			if v.Name != "" && strings.HasPrefix(v.Name, want) {
				pre = append(pre, v)
			}
		}
		switch len(pre) {
		case 1:
			return pre[0], "", nil
		case 0:
			return Variant{}, "", fmt.Errorf("model %s: %w: %q (have: %s): %w", dir, ErrNoSuchVariant, want, variantNames(vs), ErrBadModel)
		default:
			return Variant{}, "", fmt.Errorf("model %s: %w: %q matches several (%s): %w", dir, ErrNoSuchVariant, want, variantNames(pre), ErrBadModel)
		}
	}
	if len(vs) == 1 {
		return vs[0], "", nil
	}
	cuda := strings.HasPrefix(strings.ToLower(device), "cuda")
	best := 0
	for i := range vs {
		if variantRank(vs[i].Name, cuda) > variantRank(vs[best].Name, cuda) {
			best = i
		}
	}
	where := "cpu"
	if cuda {
		where = "cuda"
	}
	v = vs[best]
	choice = fmt.Sprintf("model %s: using variant %s (%s) for %s, of: %s; --variant picks another", dir, v.Name, v.Path, where, variantNames(vs))
	return v, choice, nil
}

// variantRank orders variants for a device, highest best. On a GPU the
// fp16 builder export is fastest, then its int4 one (fp16 I/O); on the CPU
// the int4 exports with fp32 I/O, then 8-bit, then fp32; fp16 activations
// are slow on most CPUs and GPU-only exports come last.
func variantRank(name string, cuda bool) int {
	n := strings.ToLower(name)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	gpu := has("cuda", "gpu", "dml", "directml", "webgpu")
	int4 := has("int4", "q4", "4bit", "bnb4")
	f16 := has("fp16", "f16", "float16")
	int8 := has("int8", "uint8", "quantized", "q8")
	if cuda {
		switch {
		case has("cuda") && f16 && !int4:
			return 100
		case has("cuda"):
			return 90
		case n == "fp16":
			return 80
		case int4 && f16:
			return 75
		case f16:
			return 70
		case n == "fp32":
			return 60
		case has("cpu"):
			return 20
		case int4:
			return 50
		}
		return 10
	}
	switch {
	case has("cpu") && int4:
		return 100
	case has("cpu"):
		return 90
	case gpu && int4:
		return 6
	case gpu:
		return 5
	case int4 && !f16:
		return 85
	case int8:
		return 80
	case n == "fp32":
		return 70
	case int4:
		return 50
	case f16:
		return 40
	}
	return 10
}
