package genmodel

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

func tinyCfg(flavour, dtype string) Config {
	c := Tiny()
	c.Flavour, c.DType = flavour, dtype
	return c
}

func writeModel(t testing.TB, cfg Config) string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

var prompt = []int64{5, 77, 300, 12, 499, 42, 256, 8}

// checkLogits: finite, and not constant over the vocabulary.
func checkLogits(t *testing.T, rows [][]float32, vocab int) {
	t.Helper()
	for i, row := range rows {
		if len(row) != vocab {
			t.Fatalf("row %d: %d logits, want %d", i, len(row), vocab)
		}
		lo, hi := row[0], row[0]
		for _, x := range row {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("row %d: non-finite logit %v", i, x)
			}
			lo, hi = min(lo, x), max(hi, x)
		}
		if hi-lo < 0.1 {
			t.Fatalf("row %d: logits nearly constant (%v..%v)", i, lo, hi)
		}
	}
}

func TestWriteAndRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"genai-fp32", func(c *Config) {}},
		{"genai-fp16", func(c *Config) { c.DType = DTypeFP16 }},
		{"genai-int32-ids", func(c *Config) { c.Int32IDs = true }},
		{"genai-untied-external", func(c *Config) { c.TieEmbeddings = false; c.ExternalData = true }},
		{"genai-rope-scaling-mha", func(c *Config) { c.RopeScaling = true; c.KVHeads = 4; c.Layers = 3 }},
		{"optimum-fp32", func(c *Config) { c.Flavour = FlavourOptimum }},
		{"optimum-fp16-external", func(c *Config) { c.Flavour = FlavourOptimum; c.DType = DTypeFP16; c.ExternalData = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Tiny()
			tc.edit(&cfg)
			dir := writeModel(t, cfg)
			r := newRunner(t, dir, cfg)
			rows := r.step(t, prompt)
			if len(rows) != len(prompt) {
				t.Fatalf("prefill gave %d rows, want %d", len(rows), len(prompt))
			}
			checkLogits(t, rows, cfg.Vocab)
			toks, used := r.generate(t, []int64{1, 2, 3}, 12)
			checkLogits(t, used, cfg.Vocab)
			distinct := map[int64]bool{}
			for _, tok := range toks {
				distinct[tok] = true
			}
			if len(distinct) < 3 {
				t.Errorf("greedy output degenerate: %v", toks)
			}
			// Determinism: a second session over a second write agrees exactly.
			r2 := newRunner(t, writeModel(t, cfg), cfg)
			r2.step(t, prompt)
			toks2, _ := r2.generate(t, []int64{1, 2, 3}, 12)
			if !equalInts(toks, toks2) {
				t.Errorf("not deterministic: %v vs %v", toks, toks2)
			}
			t.Logf("greedy: %v", toks)
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// maxDiff returns the largest absolute difference and the spread of a.
func maxDiff(a, b []float32) (diff, spread float64) {
	lo, hi := a[0], a[0]
	for i := range a {
		diff = max(diff, math.Abs(float64(a[i]-b[i])))
		lo, hi = min(lo, a[i]), max(hi, a[i])
	}
	return diff, float64(hi - lo)
}

// The two flavours, written with the same seed, compute the same Llama
// function: same logits (to rounding) and same greedy tokens.
func TestFlavoursAgree(t *testing.T) {
	for _, tc := range []struct {
		dtype string
		tol   float64 // of the logit spread
	}{{DTypeFP32, 1e-4}, {DTypeFP16, 2e-2}} {
		t.Run(tc.dtype, func(t *testing.T) {
			var toks [2][]int64
			var rows [2][][]float32
			for i, fl := range []string{FlavourGenAI, FlavourOptimum} {
				cfg := tinyCfg(fl, tc.dtype)
				cfg.RopeScaling = true
				r := newRunner(t, writeModel(t, cfg), cfg)
				pre := r.step(t, prompt)
				toks[i], rows[i] = r.generate(t, []int64{7}, 10)
				rows[i] = append(pre, rows[i]...)
			}
			for i := range rows[0] {
				d, spread := maxDiff(rows[0][i], rows[1][i])
				if d > tc.tol*spread {
					t.Fatalf("row %d: genai and optimum logits differ by %g (spread %g)", i, d, spread)
				}
			}
			if !equalInts(toks[0], toks[1]) {
				t.Fatalf("greedy tokens differ: genai %v, optimum %v", toks[0], toks[1])
			}
		})
	}
}

// The KV cache is right: prefill of n tokens gives the same last logits as
// prefill of n-1 then one decode step, and as token-by-token decoding.
func TestCacheConsistent(t *testing.T) {
	for _, fl := range []string{FlavourGenAI, FlavourOptimum} {
		t.Run(fl, func(t *testing.T) {
			cfg := tinyCfg(fl, DTypeFP32)
			dir := writeModel(t, cfg)
			full := newRunner(t, dir, cfg).step(t, prompt)
			r := newRunner(t, dir, cfg)
			r.step(t, prompt[:5])
			chunked := r.step(t, prompt[5:])
			one := newRunner(t, dir, cfg)
			var single [][]float32
			for _, id := range prompt {
				single = append(single, one.step(t, []int64{id})[0])
			}
			for i := 5; i < len(prompt); i++ {
				for name, got := range map[string][]float32{"chunked": chunked[i-5], "single": single[i]} {
					if d, spread := maxDiff(full[i], got); d > 1e-4*spread {
						t.Errorf("%s: position %d differs from full prefill by %g", name, i, d)
					}
				}
			}
		})
	}
}

// The optimum graph's padding mask: a left-padded sequence in a batch gets
// the same logits as alone, in prefill and in the following decode step.
func TestOptimumBatchPadding(t *testing.T) {
	cfg := tinyCfg(FlavourOptimum, DTypeFP32)
	dir := writeModel(t, cfg)
	short := prompt[3:]
	alone := newRunner(t, dir, cfg)
	want := alone.step(t, short)
	wantNext := alone.step(t, []int64{9})[0]

	r := newRunner(t, dir, cfg)
	pad := len(prompt) - len(short)
	ids := [][]int64{prompt, append(make([]int64, pad), short...)}
	mask := [][]int64{make([]int64, len(prompt)), make([]int64, len(prompt))}
	pos := [][]int64{make([]int64, len(prompt)), make([]int64, len(prompt))}
	for i := range prompt {
		mask[0][i], pos[0][i] = 1, int64(i)
		if i >= pad {
			mask[1][i], pos[1][i] = 1, int64(i-pad)
		}
	}
	got := r.stepBatch(t, ids, mask, pos)
	for i := range short {
		if d, spread := maxDiff(want[i], got[1][pad+i]); d > 1e-4*spread {
			t.Errorf("prefill position %d: batched differs from alone by %g", i, d)
		}
	}
	next := r.stepBatch(t, [][]int64{{9}, {9}}, [][]int64{append(mask[0], 1), append(mask[1], 1)},
		[][]int64{{int64(len(prompt))}, {int64(len(short))}})
	if d, spread := maxDiff(wantNext, next[1][0]); d > 1e-4*spread {
		t.Errorf("decode: batched differs from alone by %g", d)
	}
}

// Writing is deterministic and independent of the number of workers, and
// external data holds the same values as inline initializers.
func TestWeightsDeterministic(t *testing.T) {
	cfg := Tiny()
	cfg.ExternalData = true
	cfg.Workers = 1
	a := writeModel(t, cfg)
	cfg.Workers = 3
	b := writeModel(t, cfg)
	for _, f := range []string{"model.onnx", "model.onnx.data", "tokenizer.json", "genai_config.json"} {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs", f)
		}
	}
	// Inline vs external: same bytes for every initializer.
	cfg.ExternalData = false
	c := writeModel(t, cfg)
	inl := readModel(t, filepath.Join(c, "model.onnx"))
	ext := readModel(t, filepath.Join(a, "model.onnx"))
	data, err := os.ReadFile(filepath.Join(a, "model.onnx.data"))
	if err != nil {
		t.Fatal(err)
	}
	inits := map[string]*pbTensor{}
	for _, in := range inl.graph.inits {
		inits[in.name] = in
	}
	n := 0
	for _, e := range ext.graph.inits {
		if e.extLocation == "" {
			continue
		}
		n++
		if e.extOffset%4096 != 0 {
			t.Errorf("%s: offset %d not page aligned", e.name, e.extOffset)
		}
		if !bytes.Equal(data[e.extOffset:e.extOffset+e.extLength], inits[e.name].raw) {
			t.Errorf("%s: external data differs from inline", e.name)
		}
	}
	if n == 0 {
		t.Fatal("no external initializers")
	}
}

func readModel(t testing.TB, path string) *pbModel {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeModel(b)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return m
}

func TestFloat16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, {1e-8, 0},
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001}, {6.103515625e-05, 0x0400},
		{1.0009765625, 0x3c01}, {1.00048828125, 0x3c00}, // halfway rounds to even
		{0.333333333, 0x3555},
	} {
		if got := float16bits(tc.in); got != tc.want {
			t.Errorf("float16bits(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
		if tc.want&0x7c00 != 0x7c00 && float16bits(float16to32(tc.want)) != tc.want {
			t.Errorf("round trip of %#04x fails", tc.want)
		}
	}
}

// The fast path agrees with the general conversion on many values.
func TestFloat16Fast(t *testing.T) {
	x := uint64(1)
	for i := 0; i < 1_000_000; i++ {
		x = splitmix64(x)
		f := math.Float32frombits(uint32(x))
		if math.IsNaN(float64(f)) {
			continue
		}
		if got, want := float16bits(f), float16bitsSlow(f); got != want {
			t.Fatalf("float16bits(%g) = %#04x, want %#04x", f, got, want)
		}
	}
}

func TestWriteCancelled(t *testing.T) {
	for _, external := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		cfg := Tiny()
		cfg.ExternalData = external
		if err := Write(ctx, t.TempDir(), cfg); !errors.Is(err, context.Canceled) {
			t.Errorf("external=%v: err = %v, want context.Canceled", external, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"flavour", func(c *Config) { c.Flavour = "x" }},
		{"dtype", func(c *Config) { c.DType = "int4" }},
		{"heads", func(c *Config) { c.KVHeads = 3 }},
		{"odd head", func(c *Config) { c.HeadSize = 15 }},
		{"vocab", func(c *Config) { c.Vocab = 100 }},
		{"layers", func(c *Config) { c.Layers = 0 }},
		{"optimum int32", func(c *Config) { c.Flavour = FlavourOptimum; c.Int32IDs = true }},
		{"eos", func(c *Config) { c.EOS = []int{100000} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Tiny()
			tc.edit(&c)
			if err := Write(context.Background(), t.TempDir(), c); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestBigModel runs a prefill and a few decode steps on a model written
// beforehand by `llsum dev gen-model` (e.g. the 3B shape on a large
// machine): LLSUM_GENMODEL_BIG_DIR names the folder and
// LLSUM_GENMODEL_BIG_PRESET its preset (tiny, 1b, 3b; flavour and dtype are
// read from the folder).
func TestBigModel(t *testing.T) {
	dir := os.Getenv("LLSUM_GENMODEL_BIG_DIR")
	if dir == "" {
		t.Skip("set LLSUM_GENMODEL_BIG_DIR and LLSUM_GENMODEL_BIG_PRESET to run")
	}
	cfg, err := Preset(os.Getenv("LLSUM_GENMODEL_BIG_PRESET"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		cfg.Flavour = FlavourOptimum
	}
	if _, err := os.Stat(filepath.Join(dir, "onnx", "model.onnx")); err == nil {
		cfg.DType = DTypeFP32
	}
	start := time.Now()
	r := newRunnerThreads(t, dir, cfg, 0)
	t.Logf("session load: %v", time.Since(start))
	start = time.Now()
	rows := r.step(t, prompt)
	t.Logf("prefill %d tokens: %v", len(prompt), time.Since(start))
	checkLogits(t, rows, cfg.Vocab)
	toks := []int64{argmax(rows[len(rows)-1])}
	var used [][]float32
	for range 3 {
		start = time.Now()
		row := r.step(t, toks[len(toks)-1:])[0]
		t.Logf("decode step: %v", time.Since(start))
		used, toks = append(used, row), append(toks, argmax(row))
	}
	t.Logf("greedy %v", toks)
	checkLogits(t, used, cfg.Vocab)
}

// The genai graph works the way onnxruntime-genai runs it with
// past_present_share_buffer: one max-length KV buffer per layer bound as
// both past input and present output, valid length from attention_mask.
func TestGenAISharedBuffer(t *testing.T) {
	cfg := tinyCfg(FlavourGenAI, DTypeFP32)
	dir := writeModel(t, cfg)
	ref := newRunner(t, dir, cfg)
	want := ref.step(t, prompt)
	wantNext := ref.step(t, []int64{9})[0]

	r := newRunner(t, dir, cfg)
	cfg = r.cfg // with the derived head size
	const maxLen = 32
	kv := make([]*ort.Tensor[float32], 2*cfg.Layers)
	for i := range kv {
		var err error
		kv[i], err = ort.NewEmptyTensor[float32](ort.NewShape(1, int64(cfg.KVHeads), maxLen, int64(cfg.HeadSize)))
		if err != nil {
			t.Fatal(err)
		}
		defer kv[i].Destroy()
	}
	run := func(ids []int64, total int) [][]float32 {
		t.Helper()
		idT, err := ort.NewTensor(ort.NewShape(1, int64(len(ids))), ids)
		if err != nil {
			t.Fatal(err)
		}
		defer idT.Destroy()
		mask := make([]int64, total)
		for i := range mask {
			mask[i] = 1
		}
		maskT, err := ort.NewTensor(ort.NewShape(1, int64(total)), mask)
		if err != nil {
			t.Fatal(err)
		}
		defer maskT.Destroy()
		logits, err := ort.NewEmptyTensor[float32](ort.NewShape(1, int64(len(ids)), int64(cfg.Vocab)))
		if err != nil {
			t.Fatal(err)
		}
		defer logits.Destroy()
		ins := []ort.Value{idT, maskT}
		outs := []ort.Value{logits}
		for _, v := range kv {
			ins, outs = append(ins, v), append(outs, v)
		}
		if err := r.sess.Run(ins, outs); err != nil {
			t.Fatal(err)
		}
		data := logits.GetData()
		rows := make([][]float32, len(ids))
		for i := range rows {
			rows[i] = append([]float32{}, data[i*cfg.Vocab:(i+1)*cfg.Vocab]...)
		}
		return rows
	}
	got := run(prompt, len(prompt))
	for i := range prompt {
		if d, spread := maxDiff(want[i], got[i]); d > 1e-4*spread {
			t.Errorf("prefill position %d differs by %g", i, d)
		}
	}
	next := run([]int64{9}, len(prompt)+1)[0]
	if d, spread := maxDiff(wantNext, next); d > 1e-4*spread {
		t.Errorf("decode differs by %g", d)
	}
}
