package onnx

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, m := range []string{"tiny-qwen2-gqa-fp16", "dummy-decoder-fp32"} {
		e := openEngine(t, sharedModel(t, m), Options{})
		t.Logf("%s: %+v", m, *e.Spec())
		res, err := e.Generate(context.Background(), []GenRequest{{InputIDs: []int{5, 6, 7}, MaxNewTokens: 8}, {InputIDs: []int{9, 3}, MaxNewTokens: 8}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			t.Logf("%v %s", r.OutputIDs, r.Stop)
		}
	}
}
