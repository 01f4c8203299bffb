// Package envconfig holds every LLSUM_* environment setting with its
// default, in one place, in the manner of ollama's envconfig: each has a
// typed getter (Model, Device, Jobs-style accessors), flags win over the
// environment in the commands, and `llsum --help` lists them from Vars.
package envconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Var is one environment setting.
type Var struct {
	Name        string
	Default     string
	Description string
	// Secret values are never printed.
	Secret bool
}

// Vars lists every setting llsum reads, in the order help prints them.
var Vars = []Var{
	{Name: "LLSUM_MODEL", Description: "model folder used when --model is not given (empty: extractive backend)"},
	{Name: "LLSUM_ORT_LIB", Description: "path of the ONNX Runtime shared library (overrides discovery)"},
	{Name: "LLSUM_CACHE", Default: "$XDG_CACHE_HOME/llsum or ~/.cache/llsum", Description: "cache folder: ONNX Runtime install, models, PDF engine cache"},
	{Name: "LLSUM_PDF_PASSWORD", Description: "password for encrypted PDFs (like --pdf-password)", Secret: true},
	{Name: "LLSUM_API_KEY", Description: "API key: sent by run --backend openai, required from clients by serve (never logged)", Secret: true},
	{Name: "LLSUM_DEVICE", Default: "auto", Description: "device used when --device is not given (auto, cpu, cuda, cuda:N)"},
	{Name: "LLSUM_SHARDS", Description: "number of shards for run --shard auto under a Kubernetes Indexed Job (like --shards; the Job's completions)"},
	{Name: "LLSUM_NO_PROGRESS", Description: "when set to 1, never draw a progress bar even on a terminal"},
	{Name: "LLSUM_FULL_LOGITS", Description: "when set to 1, run a graph whose logits cover every prompt position as written, instead of rewriting it at model open to compute the last position's logits only"},
	{Name: "HF_ENDPOINT", Default: "https://huggingface.co", Description: "Hugging Face Hub address used by llsum pull"},
	{Name: "NPM_CONFIG_REGISTRY", Description: "npm registry URL llsum setup fetches the ONNX Runtime packages from over HTTP (unset: the npm client's npm pack)"},
	{Name: "HF_TOKEN", Description: "Hub token for gated or private repos (llsum pull; sent to HF_ENDPOINT only, never logged)", Secret: true},
}

// Lookup returns the value of the setting name, or its default when unset or
// empty. It reads only names listed in Vars.
func Lookup(name string) string {
	for _, v := range Vars {
		if v.Name == name {
			if s := strings.TrimSpace(os.Getenv(name)); s != "" {
				return s
			}
			if strings.Contains(v.Default, "$") {
				return ""
			}
			return v.Default
		}
	}
	return ""
}

// Model is LLSUM_MODEL: the model folder used when --model is not given.
func Model() string { return Lookup("LLSUM_MODEL") }

// ORTLib is LLSUM_ORT_LIB: the ONNX Runtime library path.
func ORTLib() string { return Lookup("LLSUM_ORT_LIB") }

// PDFPassword is LLSUM_PDF_PASSWORD: the password for encrypted PDFs.
func PDFPassword() string { return Lookup("LLSUM_PDF_PASSWORD") }

// APIKey is LLSUM_API_KEY: sent by the OpenAI client, required by serve.
func APIKey() string { return Lookup("LLSUM_API_KEY") }

// Device is LLSUM_DEVICE: the device used when --device is not given.
func Device() string { return Lookup("LLSUM_DEVICE") }

// Shards is LLSUM_SHARDS: the shard count for --shard auto (0 when unset).
func Shards() (int, error) {
	s := Lookup("LLSUM_SHARDS")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("LLSUM_SHARDS=%q: want a positive integer", s)
	}
	return n, nil
}

// NoProgress is LLSUM_NO_PROGRESS=1: never draw a progress bar.
func NoProgress() bool { return Lookup("LLSUM_NO_PROGRESS") == "1" }

// FullLogits is LLSUM_FULL_LOGITS=1: run graphs with logits for every
// position as written (no last-position rewrite at model open).
func FullLogits() bool { return Lookup("LLSUM_FULL_LOGITS") == "1" }

// HFEndpoint is HF_ENDPOINT: the Hugging Face Hub llsum pull talks to.
func HFEndpoint() string { return Lookup("HF_ENDPOINT") }

// HFToken is HF_TOKEN: the Hub token (sent to HFEndpoint only).
func HFToken() string { return Lookup("HF_TOKEN") }

// NPMRegistry is NPM_CONFIG_REGISTRY: where llsum setup fetches npm
// tarballs over HTTP ("": through the npm client).
func NPMRegistry() string { return Lookup("NPM_CONFIG_REGISTRY") }

// CacheDir returns the llsum cache folder (LLSUM_CACHE, else the user cache
// folder's llsum/).
func CacheDir() string {
	if s := Lookup("LLSUM_CACHE"); s != "" {
		return s
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "llsum")
	}
	return filepath.Join(os.TempDir(), "llsum-cache")
}

// Help renders Vars for a help text.
func Help() string {
	var b strings.Builder
	for _, v := range Vars {
		b.WriteString("  " + v.Name)
		b.WriteString(strings.Repeat(" ", max(1, 20-len(v.Name))))
		b.WriteString(v.Description)
		if v.Default != "" {
			b.WriteString(" (default " + v.Default + ")")
		}
		b.WriteString("\n")
	}
	return b.String()
}
