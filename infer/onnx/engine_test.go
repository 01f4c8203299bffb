package onnx

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/llsum/llsum/infer"
)

var prompts = [][]int{
	{5, 6, 7, 8, 9, 10, 11},
	{42, 3},
	{100, 200, 300, 400, 500, 60, 70, 80, 90, 17, 18, 19, 20},
	{1, 499, 498},
}

func generate(t *testing.T, e *Engine, reqs []GenRequest) []GenResult {
	t.Helper()
	res, err := e.Generate(context.Background(), reqs)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if len(res) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(res), len(reqs))
	}
	return res
}

func greedy(ids []int, n int) GenRequest { return GenRequest{InputIDs: ids, MaxNewTokens: n} }

// TestConformanceGQA runs the builder's tiny GroupQueryAttention export
// (fp16 KV and logits, int32 ids, no position_ids): greedy output must be
// the same across runs, chunked or not, batched or alone, and equal to a
// reference that recomputes the whole sequence each token without a cache.
func TestConformanceGQA(t *testing.T) {
	dir := sharedModel(t, "tiny-qwen2-gqa-fp16")
	e := openEngine(t, dir, Options{PrefillChunk: 1024})
	chunked := openEngine(t, dir, Options{PrefillChunk: 3})
	const n = 10
	for i, p := range prompts {
		alone := generate(t, e, []GenRequest{greedy(p, n)})[0]
		if len(alone.OutputIDs) == 0 {
			t.Fatalf("prompt %d: no output", i)
		}
		again := generate(t, e, []GenRequest{greedy(p, n)})[0]
		if !reflect.DeepEqual(alone.OutputIDs, again.OutputIDs) {
			t.Errorf("prompt %d: run 1 %v, run 2 %v", i, alone.OutputIDs, again.OutputIDs)
		}
		ch := generate(t, chunked, []GenRequest{greedy(p, n)})[0]
		if !reflect.DeepEqual(alone.OutputIDs, ch.OutputIDs) {
			t.Errorf("prompt %d: unchunked %v, chunked %v", i, alone.OutputIDs, ch.OutputIDs)
		}
		// Reference: no KV reuse, one full prefill per token.
		seq := append([]int(nil), p...)
		var ref []int
		for len(ref) < len(alone.OutputIDs) {
			r := generate(t, e, []GenRequest{greedy(seq, 1)})[0]
			if len(r.OutputIDs) == 0 {
				break
			}
			ref = append(ref, r.OutputIDs[0])
			seq = append(seq, r.OutputIDs[0])
		}
		if !reflect.DeepEqual(alone.OutputIDs, ref) {
			t.Errorf("prompt %d: cached %v, recomputed %v", i, alone.OutputIDs, ref)
		}
	}
	checkBatchedEqualsAlone(t, e, n)
}

// checkBatchedEqualsAlone compares each prompt alone with all prompts in one
// batch (different lengths, so padding and per-row positions are exercised).
func checkBatchedEqualsAlone(t *testing.T, e *Engine, n int) {
	t.Helper()
	var reqs []GenRequest
	var want [][]int
	for i, p := range prompts {
		// Different lengths per row too.
		reqs = append(reqs, greedy(p, n-i))
		want = append(want, generate(t, e, []GenRequest{greedy(p, n-i)})[0].OutputIDs)
	}
	got := generate(t, e, reqs)
	for i := range reqs {
		if !reflect.DeepEqual(got[i].OutputIDs, want[i]) {
			t.Errorf("row %d: batched %v, alone %v", i, got[i].OutputIDs, want[i])
		}
		if got[i].Stop != infer.StopLength && got[i].Stop != infer.StopEOS {
			t.Errorf("row %d: stop %q", i, got[i].Stop)
		}
	}
}

// TestConformanceDummy runs the builder's minimal fp32 decoder
// (position_ids input, fixed output shapes).
func TestConformanceDummy(t *testing.T) {
	e := openEngine(t, sharedModel(t, "dummy-decoder-fp32"), Options{})
	a := generate(t, e, []GenRequest{greedy([]int{3, 4}, 4), greedy([]int{5}, 4)})
	b := generate(t, e, []GenRequest{greedy([]int{3, 4}, 4), greedy([]int{5}, 4)})
	if !reflect.DeepEqual(outIDs(a), outIDs(b)) {
		t.Errorf("not deterministic: %v vs %v", outIDs(a), outIDs(b))
	}
	for i, p := range [][]int{{3, 4}, {5}} {
		alone := generate(t, e, []GenRequest{greedy(p, 4)})[0]
		if !reflect.DeepEqual(alone.OutputIDs, a[i].OutputIDs) {
			t.Errorf("row %d: batched %v, alone %v", i, a[i].OutputIDs, alone.OutputIDs)
		}
		if len(alone.OutputIDs) != 4 || alone.Stop != infer.StopLength {
			t.Errorf("row %d: %v stop %s, want 4 tokens and length", i, alone.OutputIDs, alone.Stop)
		}
	}
}

func outIDs(rs []GenResult) [][]int {
	var out [][]int
	for _, r := range rs {
		out = append(out, r.OutputIDs)
	}
	return out
}

// TestStops covers the context limit, max new tokens and EOS.
func TestStops(t *testing.T) {
	dir := sharedModel(t, "tiny-qwen2-gqa-fp16")
	e := openEngine(t, dir, Options{})
	// Context length is 128: a 125-token prompt has room for 3 more
	// positions, so it stops on the context limit with at most 4 tokens.
	long := make([]int, 125)
	for i := range long {
		long[i] = 10 + i
	}
	r := generate(t, e, []GenRequest{greedy(long, 50)})[0]
	t.Logf("long prompt: %v %s", r.OutputIDs, r.Stop)
	if r.Stop != infer.StopContext && r.Stop != infer.StopEOS {
		t.Errorf("long prompt: stop %q, want context", r.Stop)
	}
	if r.Stop == infer.StopContext && len(long)+len(r.OutputIDs) != 128+1 {
		t.Errorf("long prompt: %d + %d tokens, want to fill the context of 128 (+1 sampled)", len(long), len(r.OutputIDs))
	}
	if _, err := e.Generate(context.Background(), []GenRequest{greedy(make([]int, 129), 1)}); err == nil {
		t.Error("prompt longer than the context: no error")
	}
	if _, err := e.Generate(context.Background(), []GenRequest{greedy([]int{1000}, 1)}); err == nil {
		t.Error("token id outside the vocabulary: no error")
	}
	// EOS: make the first greedy token an EOS id.
	first := generate(t, e, []GenRequest{greedy(prompts[0], 1)})[0].OutputIDs[0]
	e.spec.EOS = append(e.spec.EOS, first)
	defer func() { e.spec.EOS = e.spec.EOS[:len(e.spec.EOS)-1] }()
	r = generate(t, e, []GenRequest{greedy(prompts[0], 5)})[0]
	if r.Stop != infer.StopEOS || len(r.OutputIDs) != 0 {
		t.Errorf("EOS: stop %q output %v", r.Stop, r.OutputIDs)
	}
}

// TestKVCacheSizing checks the cache holds prompt + max new tokens, not the
// model's context length, and that buffers are reused between calls.
func TestKVCacheSizing(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{})
	generate(t, e, []GenRequest{greedy([]int{1, 2, 3, 4}, 6)})
	s := e.Spec()
	perPos := s.Layers * 2 * s.KVHeads * s.HeadSize * 2 // fp16
	if got, want := e.KVCacheBytes(), 10*perPos; got != want {
		t.Errorf("KV cache %d bytes, want %d (10 positions)", got, want)
	}
	before := e.kv.bufs[0][0]
	generate(t, e, []GenRequest{greedy([]int{1, 2}, 3)})
	if e.kv.bufs[0][0] != before {
		t.Error("smaller request reallocated the cache")
	}
	generate(t, e, []GenRequest{greedy([]int{1, 2}, 3), greedy([]int{4}, 20)})
	if got, want := e.KVCacheBytes(), 2*22*perPos; got != want {
		t.Errorf("batch of 2: KV cache %d bytes, want %d", got, want)
	}
}

func TestCancel(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{PrefillChunk: 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Generate(ctx, []GenRequest{greedy(prompts[2], 50)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err %v", err)
	}
	// The engine stays usable.
	generate(t, e, []GenRequest{greedy(prompts[0], 3)})
}

func TestSampling(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{})
	s := infer.Sampling{Temperature: 1.5, TopK: 50, TopP: 0.95, Seed: 7}
	req := GenRequest{InputIDs: prompts[0], MaxNewTokens: 12, Sampling: s}
	a := generate(t, e, []GenRequest{req})[0]
	b := generate(t, e, []GenRequest{req})[0]
	if !reflect.DeepEqual(a.OutputIDs, b.OutputIDs) {
		t.Errorf("same seed, different tokens: %v vs %v", a.OutputIDs, b.OutputIDs)
	}
	g := generate(t, e, []GenRequest{greedy(prompts[0], 12)})[0]
	req.Sampling.Seed = 8
	c := generate(t, e, []GenRequest{req})[0]
	if reflect.DeepEqual(a.OutputIDs, g.OutputIDs) && reflect.DeepEqual(c.OutputIDs, g.OutputIDs) {
		t.Errorf("sampling at temperature 1.5 equals greedy twice: %v", g.OutputIDs)
	}
	// Repetition penalty changes greedy output on a looping model or not
	// at all; it must stay deterministic.
	rp := GenRequest{InputIDs: prompts[0], MaxNewTokens: 12, Sampling: infer.Sampling{RepetitionPenalty: 1.3}}
	if x, y := generate(t, e, []GenRequest{rp})[0], generate(t, e, []GenRequest{rp})[0]; !reflect.DeepEqual(x.OutputIDs, y.OutputIDs) {
		t.Errorf("repetition penalty not deterministic")
	}
}

// TestPingPongMatchesShared runs the GroupQueryAttention export with the
// ping-pong cache (past and present in two alternating buffers, as graphs
// with position_ids use) instead of the shared buffer: for single
// sequences, where no padding is involved, both must give the same tokens.
func TestPingPongMatchesShared(t *testing.T) {
	dir := sharedModel(t, "tiny-qwen2-gqa-fp16")
	shared := openEngine(t, dir, Options{PrefillChunk: 3})
	pp := openEngine(t, dir, Options{PrefillChunk: 3})
	pp.spec.ShareBuffer = false
	pp.kv = newKVCache(cpuMemory{}, pp.spec)
	for i, p := range prompts {
		a := generate(t, shared, []GenRequest{greedy(p, 8)})[0]
		b := generate(t, pp, []GenRequest{greedy(p, 8)})[0]
		if !reflect.DeepEqual(a.OutputIDs, b.OutputIDs) {
			t.Errorf("prompt %d: shared %v, ping-pong %v", i, a.OutputIDs, b.OutputIDs)
		}
	}
	if got := len(pp.kv.bufs[1]); got != 2*pp.spec.Layers {
		t.Errorf("ping-pong cache has %d second-side buffers", got)
	}
}

// TestKVCacheShrinks: after a long request, a much shorter one does not keep
// the long one's cache.
func TestKVCacheShrinks(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{})
	generate(t, e, []GenRequest{greedy(make([]int, 100), 20), greedy(make([]int, 100), 20)})
	big := e.KVCacheBytes()
	generate(t, e, []GenRequest{greedy([]int{1, 2}, 2)})
	if small := e.KVCacheBytes(); small*4 > big {
		t.Errorf("cache %d bytes after a 4-position request, %d after the long batch", small, big)
	}
}
