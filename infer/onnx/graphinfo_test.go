package onnx

import (
	"fmt"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// TestReadGraphInfoMatchesRuntime compares the protobuf reader with ONNX
// Runtime's own session metadata on the real exports.
func TestReadGraphInfoMatchesRuntime(t *testing.T) {
	needRuntime(t)
	for _, m := range []string{"tiny-qwen2-gqa-fp16", "dummy-decoder-fp32"} {
		p := filepath.Join(sharedModel(t, m), "decoder.onnx")
		ins, outs, _, err := readGraphInfo(p)
		if err != nil {
			t.Fatal(err)
		}
		wantIns, wantOuts, err := ort.GetInputOutputInfo(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(ins), fmt.Sprint(wantIns); got != want {
			t.Errorf("%s inputs:\n got %s\nwant %s", m, got, want)
		}
		if got, want := fmt.Sprint(outs), fmt.Sprint(wantOuts); got != want {
			t.Errorf("%s outputs:\n got %s\nwant %s", m, got, want)
		}
	}
	if _, _, _, err := readGraphInfo(filepath.Join(sharedModel(t, "tiny-qwen2-gqa-fp16"), "genai_config.json")); err == nil {
		t.Error("a JSON file read as a graph")
	}
}
