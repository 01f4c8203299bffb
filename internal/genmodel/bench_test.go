package genmodel

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFillFP16 measures weight generation (PRNG + fp16 encoding) on
// one goroutine; b.SetBytes makes `go test -bench` print MB/s.
func BenchmarkFillFP16(b *testing.B) {
	w := &weight{name: "w", dims: []int64{chunkElems}, kind: initUniform, std: 0.02, seed: 1}
	vals := make([]float32, chunkElems)
	buf := make([]byte, 2*chunkElems)
	b.SetBytes(2 * chunkElems)
	for i := 0; b.Loop(); i++ {
		w.fill(int64(i)*chunkElems, vals)
		encode(buf, vals, dtFloat16)
	}
}

// BenchmarkWriteModel writes a mid-sized fp16 genai model (about 340 MB of
// external weights) with all CPUs; the figure includes the disk.
func BenchmarkWriteModel(b *testing.B) {
	cfg := Llama32_1B()
	cfg.Layers, cfg.ExternalData = 2, true
	dir := b.TempDir()
	var size int64
	for b.Loop() {
		if err := Write(context.Background(), dir, cfg); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, "model.onnx.data"))
		if err != nil {
			b.Fatal(err)
		}
		size = st.Size()
	}
	b.SetBytes(size)
}
