package onnx

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
)

// sharedModel is ../shared/models/NAME beside the repository.
func sharedModel(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "models", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test model %s missing: %v", name, err)
	}
	return p
}

// needRuntime loads ONNX Runtime through the normal discovery; without it
// the test fails under CI and is skipped locally.
func needRuntime(t testing.TB) {
	t.Helper()
	if _, err := LoadRuntime(DefaultLibOptions("")); err != nil {
		testenv.Missing(t, "ONNX Runtime ("+err.Error()+")")
	}
}

func openEngine(t testing.TB, dir string, o Options) *Engine {
	t.Helper()
	needRuntime(t)
	o.Model = dir
	o.Lib = DefaultLibOptions("")
	if o.Device == "" {
		o.Device = "cpu"
	}
	e, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
