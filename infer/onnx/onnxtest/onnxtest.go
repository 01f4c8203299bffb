// Package onnxtest gives tests outside infer/onnx the ONNX Runtime library
// and a generated tiny model to run on. Without the library (which `make
// deps` installs) a test fails under CI and is skipped elsewhere.
package onnxtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/internal/genmodel"
	"github.com/llsum/llsum/internal/testenv"
)

// NeedRuntime loads ONNX Runtime through the normal discovery.
func NeedRuntime(t testing.TB) {
	t.Helper()
	if _, err := onnx.LoadRuntime(onnx.DefaultLibOptions("")); err != nil {
		testenv.Missing(t, "ONNX Runtime ("+err.Error()+")")
	}
}

// TinyModel writes a generated tiny Llama model of the given flavour
// ("genai" or "optimum"), with its tokenizer, into a temporary folder.
func TinyModel(t testing.TB, flavour string) string {
	t.Helper()
	cfg := genmodel.Tiny()
	cfg.Flavour = flavour
	return GenModel(t, "tiny-"+flavour, cfg)
}

// GenModel writes a generated model of the given configuration, with its
// tokenizer, into a temporary folder of the given name.
func GenModel(t testing.TB, name string, cfg genmodel.Config) string {
	t.Helper()
	NeedRuntime(t)
	dir := filepath.Join(t.TempDir(), name)
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TinyChatModel opens a generated tiny genai model on the CPU as a chat
// model, closed when the test ends; o may set engine options (threads,
// prefill chunk), its Model, Device and Lib are filled in.
func TinyChatModel(t testing.TB, o onnx.Options) *onnx.ChatModel {
	t.Helper()
	return OpenChatModel(t, TinyModel(t, "genai"), o)
}

// OpenChatModel opens the model folder dir on the CPU as a chat model,
// closed when the test ends; o as for TinyChatModel.
func OpenChatModel(t testing.TB, dir string, o onnx.Options) *onnx.ChatModel {
	t.Helper()
	o.Model = dir
	o.Device = "cpu"
	o.Lib = onnx.DefaultLibOptions("")
	m, err := onnx.OpenChatModel(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
