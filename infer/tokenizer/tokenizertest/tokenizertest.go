// Package tokenizertest finds the test data of tokenizer tests: the Llama
// 3.1 tokenizer files that scripts/setup.d/20-tokenizer.sh installs in the
// llsum cache, and the reference vectors in ../shared beside the module.
// Missing data fails a test when CI is set and skips it (naming `make deps`)
// otherwise.
package tokenizertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/testenv"
)

// LlamaDir returns the folder holding the Llama 3.1 tokenizer.json and
// tokenizer_config.json the vectors were made from.
func LlamaDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(envconfig.CacheDir(), "tokenizers", "llama3.1")
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		Missing(t, "the Llama 3.1 tokenizer ("+dir+")")
	}
	return dir
}

// Shared returns the path of elem under ../shared beside the module root.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	return testenv.Shared(t, elem...)
}

// Missing fails the test under CI and skips it elsewhere.
func Missing(t testing.TB, what string) {
	t.Helper()
	testenv.Missing(t, what)
}
