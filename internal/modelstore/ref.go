// Package modelstore keeps the model folders `llsum pull` downloads from
// the Hugging Face Hub, under $LLSUM_CACHE/models: which names exist (the
// built-in short names and ORG/REPO[:SUBFOLDER-or-VARIANT]), where each
// lives, what a pull put there (a manifest with sizes and checksums), and
// how a --model value that is a pulled name becomes a folder.
package modelstore

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Builtin is a short name for a published model folder (the list
// scripts/fetch-model.sh had).
type Builtin struct {
	Name string
	Repo string
	// Subfolder inside the repo ("" for the root).
	Subfolder string
	// Files to fetch, relative to Subfolder; Optional ones may be missing
	// from the repo.
	Files    []string
	Optional map[string]bool
	// Variant is the graph's variant in the transformers.js layout.
	Variant string
	// About is one line for listings.
	About string
}

var (
	genaiFiles = []string{"genai_config.json", "model.onnx", "model.onnx.data", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}
	tjsFiles   = []string{"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}
	optional   = map[string]bool{
		"special_tokens_map.json": true, "generation_config.json": true, "tokenizer_config.json": true,
		"onnx/model_q4f16.onnx_data": true, "onnx/model_q4.onnx_data": true,
	}
)

func genai(name, repo, sub, about string) Builtin {
	return Builtin{Name: name, Repo: repo, Subfolder: sub, Files: genaiFiles, Optional: optional, About: about}
}

func tjs(name, repo, variant, about string) Builtin {
	files := append(append([]string(nil), tjsFiles...), "onnx/model_"+variant+".onnx", "onnx/model_"+variant+".onnx_data")
	return Builtin{Name: name, Repo: repo, Files: files, Optional: optional, Variant: variant, About: about}
}

const (
	repo3Genai = "onnx-community/Llama-3.2-3B-Instruct-ONNX"
	repo1Genai = "onnx-community/Llama-3.2-1B-Instruct-ONNX"
	repo3TJS   = "onnx-community/Llama-3.2-3B-Instruct"
	repo1TJS   = "onnx-community/Llama-3.2-1B-Instruct"
	subCPU     = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4"
	subCUDA4   = "cuda/cuda-int4-rtn-block-32"
	subCUDA16  = "cuda/cuda-fp16"
)

// Builtins lists the short names, in the order listings show them.
func Builtins() []Builtin {
	return []Builtin{
		genai("llama-3.2-3b-cpu-int4", repo3Genai, subCPU, "CPU, best quality (3.65 GB)"),
		genai("llama-3.2-3b-cuda-int4", repo3Genai, subCUDA4, "NVIDIA GPU with >= 4 GB free (2.63 GB)"),
		genai("llama-3.2-3b-cuda-fp16", repo3Genai, subCUDA16, "NVIDIA GPU with >= 10 GB, best quality on GPU (7.25 GB)"),
		genai("llama-3.2-1b-cpu-int4", repo1Genai, subCPU, "small or slow CPUs"),
		genai("llama-3.2-1b-cuda-int4", repo1Genai, subCUDA4, "small GPUs"),
		genai("llama-3.2-1b-cuda-fp16", repo1Genai, subCUDA16, "GPU, 1B at full precision (3.01 GB)"),
		tjs("llama-3.2-3b-q4f16", repo3TJS, "q4f16", "transformers.js layout, GPU or CPU (2.37 GB)"),
		tjs("llama-3.2-3b-q4", repo3TJS, "q4", "transformers.js layout, CPU (3.34 GB)"),
		tjs("llama-3.2-1b-q4f16", repo1TJS, "q4f16", "transformers.js layout, smallest download (1.07 GB)"),
		tjs("llama-3.2-1b-q4", repo1TJS, "q4", "transformers.js layout, CPU"),
	}
}

// LookupBuiltin finds a short name.
func LookupBuiltin(name string) (Builtin, bool) {
	for _, b := range Builtins() {
		if b.Name == name {
			return b, true
		}
	}
	return Builtin{}, false
}

// ErrBadName is wrapped by ParseRef's errors.
var ErrBadName = errors.New("not a model name")

// Ref is a parsed model name.
type Ref struct {
	// Name as given (the key of the pulled folder).
	Name string
	Repo string
	// Part is what followed ':' (a subfolder or a variant); for a builtin
	// its subfolder.
	Part    string
	Builtin *Builtin
}

var (
	repoPart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)
	subPart  = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
)

// ParseRef parses a short name or ORG/REPO[:SUBFOLDER-or-VARIANT].
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if b, ok := LookupBuiltin(s); ok {
		return Ref{Name: s, Repo: b.Repo, Part: b.Subfolder, Builtin: &b}, nil
	}
	repo, part, hasPart := strings.Cut(s, ":")
	org, name, ok := strings.Cut(repo, "/")
	if !ok {
		return Ref{}, fmt.Errorf("%q: %w: not a built-in short name (see llsum models --available) nor ORG/REPO[:SUBFOLDER-or-VARIANT]", s, ErrBadName)
	}
	for _, p := range []string{org, name} {
		if !repoPart.MatchString(p) || strings.Contains(p, "--") || strings.Contains(p, "..") {
			return Ref{}, fmt.Errorf("%q: %w: %q is not a valid Hub org or repo name", s, ErrBadName, p)
		}
	}
	if hasPart {
		part = strings.Trim(part, "/")
		if !subPart.MatchString(part) || strings.Contains(part, "..") {
			return Ref{}, fmt.Errorf("%q: %w: bad subfolder or variant %q", s, ErrBadName, part)
		}
	}
	return Ref{Name: s, Repo: repo, Part: part}, nil
}

// dirName is the folder of a ref under the models folder: the short name
// itself, ORG/REPO, or ORG/REPO--PART with / in PART as "--" (the Hub
// forbids "--" in repo names, so no two refs share a folder).
func (r Ref) dirName() string {
	if r.Builtin != nil {
		return r.Name
	}
	if r.Part == "" {
		return r.Repo
	}
	return r.Repo + "--" + strings.ReplaceAll(r.Part, "/", "--")
}
