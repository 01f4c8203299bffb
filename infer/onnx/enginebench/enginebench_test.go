package enginebench

import (
	"context"
	"reflect"
	"testing"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/testenv"
)

func TestIDs(t *testing.T) {
	// PeerIDs must match peer.mjs's formula, row by row.
	if got, want := PeerIDs(1000)(1, 3), []int{10 + 104729%980, 10 + (7919+104729)%980, 10 + (2*7919+104729)%980}; !reflect.DeepEqual(got, want) {
		t.Errorf("PeerIDs = %v, want %v", got, want)
	}
	// RandomIDs: the same seed gives the same stream, below vocab-256.
	a, b := RandomIDs(3, 300), RandomIDs(3, 300)
	for range 3 {
		x, y := a(0, 50), b(0, 50)
		if !reflect.DeepEqual(x, y) {
			t.Fatal("same seed, different ids")
		}
		for _, id := range x {
			if id < 0 || id >= 44 {
				t.Fatalf("id %d out of [0,44)", id)
			}
		}
	}
	reqs := Requests(PeerIDs(1000), 3, 7, 5)
	if len(reqs) != 3 || len(reqs[2].InputIDs) != 7 || reqs[2].MaxNewTokens != 5 || !reqs[2].IgnoreEOS {
		t.Errorf("Requests = %+v", reqs)
	}
}

// TestBestAndRun times a real tiny model: Best calls between once per
// repeat, and Run fills every row it was asked for.
func TestBestAndRun(t *testing.T) {
	onnxtest.NeedRuntime(t)
	ctx := context.Background()
	e, err := onnx.Open(ctx, onnx.Options{Model: testenv.Shared(t, "models", "tiny-qwen2-gqa-fp16"), Device: "cpu", Lib: onnx.DefaultLibOptions("")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	calls := 0
	p, d, err := Best(ctx, e, Requests(PeerIDs(e.Spec().Vocab), 2, 16, 4), 3, func() error { calls++; return nil })
	if err != nil || p <= 0 || d <= 0 || calls != 3 {
		t.Fatalf("Best: prefill %v decode %v err %v, between called %d times", p, d, err, calls)
	}
	var res Result
	saves := 0
	err = Run(ctx, e, Config{Prefill: []int{8}, Decode: []Shape{{2, 8}}, DecodeTokens: 3,
		Workload: &Workload{Docs: 1, NewTokens: 2, Batches: [][]int{{5, 6}}}, Save: func(*Result) error { saves++; return nil }}, &res)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Prefill) != 1 || res.Prefill[0].TokS <= 0 || len(res.Decode) != 1 || len(res.Decode[0].Digest) != 16 ||
		res.E2E == nil || res.E2E.NewTokens != 4 || res.E2E.PromptTokens != 11 || saves != 3 {
		t.Fatalf("Run: %+v (saved %d times)", res, saves)
	}
}
