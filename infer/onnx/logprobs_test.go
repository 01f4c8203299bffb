package onnx

import (
	"math"
	"testing"
)

func TestLogprobOf(t *testing.T) {
	logits := []float32{1, 3, -2, 3, 0.5}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v))
	}
	lse := math.Log(sum)
	got := logprobOf(logits, 4, 3)
	if d := float64(got.Logprob) - (0.5 - lse); math.Abs(d) > 1e-6 || got.ID != 4 {
		t.Errorf("logprob of token 4 = %v, want %v", got.Logprob, 0.5-lse)
	}
	// Ties keep the lower id first; k alternatives, likeliest first.
	want := []int{1, 3, 0}
	if len(got.Top) != 3 {
		t.Fatalf("top %+v", got.Top)
	}
	for i, id := range want {
		if got.Top[i].ID != id || math.Abs(float64(got.Top[i].Logprob)-(float64(logits[id])-lse)) > 1e-6 {
			t.Errorf("top[%d] = %+v, want id %d", i, got.Top[i], id)
		}
	}
	if none := logprobOf(logits, 1, 0); none.Top != nil {
		t.Errorf("k=0 gave alternatives %+v", none.Top)
	}
}
