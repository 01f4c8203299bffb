package onnx

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestBatcherConcurrent: concurrent callers get the tokens each would get
// alone, in fewer forward-pass batches than calls.
func TestBatcherConcurrent(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{})
	want := make([][]int, len(prompts))
	for i, p := range prompts {
		want[i] = generate(t, e, []GenRequest{greedy(p, 8)})[0].OutputIDs
	}
	b := NewBatcher(e, 0, 0)
	const rounds = 3
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(prompts))
	for r := 0; r < rounds; r++ {
		for i, p := range prompts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := b.Generate(context.Background(), []GenRequest{greedy(p, 8)})
				if err != nil {
					errs <- err
					return
				}
				if !reflect.DeepEqual(res[0].OutputIDs, want[i]) {
					errs <- errors.New("prompt " + string(rune('0'+i)) + ": batched output differs from alone")
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d calls in %d batches", rounds*len(prompts), b.batches.Load())
	if b.batches.Load() > int64(rounds*len(prompts)) {
		t.Errorf("%d batches for %d calls", b.batches.Load(), rounds*len(prompts))
	}
}

// TestBatcherIsolation: a bad request fails its own call only; a cancelled
// caller returns while the others finish.
func TestBatcherIsolation(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{PrefillChunk: 2})
	b := NewBatcher(e, 2, 0)
	if _, err := b.Generate(context.Background(), []GenRequest{greedy([]int{5000}, 2)}); err == nil {
		t.Error("out-of-vocabulary id accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cancelledErr, okErr error
	var okRes []GenResult
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, cancelledErr = b.Generate(ctx, []GenRequest{greedy(prompts[2], 100)})
	}()
	go func() {
		defer wg.Done()
		okRes, okErr = b.Generate(context.Background(), []GenRequest{greedy(prompts[0], 6)})
	}()
	time.Sleep(5 * time.Millisecond)
	cancel()
	wg.Wait()
	if cancelledErr != nil && !errors.Is(cancelledErr, context.Canceled) {
		t.Errorf("cancelled caller: %v", cancelledErr)
	}
	if okErr != nil || len(okRes) != 1 || len(okRes[0].OutputIDs) == 0 {
		t.Errorf("other caller: %v %v", okErr, okRes)
	}
}
