package onnx

import (
	"context"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/genmodel"
)

// TestCompareGraph runs the graph check on CPU: the static-step layout (the
// CUDA-graph path without a graph, device argmax's CPU twin) against the
// plain path at batch 1, 4 and 16 with rows of different prompt lengths:
// identical ids, every chosen id the host argmax of the logits the tap saw,
// and logits within rounding.
func TestCompareGraph(t *testing.T) {
	needRuntime(t)
	for _, c := range []struct{ name, dir string }{
		{"tiny-qwen2-gqa-fp16", sharedModel(t, "tiny-qwen2-gqa-fp16")},
		{"genai-fp16", genModel(t, genmodel.FlavourGenAI, genmodel.DTypeFP16, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var batches [][]GenRequest
			for _, n := range []int{1, 4, 16} {
				var reqs []GenRequest
				for i := 0; i < n; i++ {
					p := prompts[i%len(prompts)]
					reqs = append(reqs, GenRequest{InputIDs: append(append([]int(nil), p...), i), MaxNewTokens: 12, IgnoreEOS: true})
				}
				batches = append(batches, reqs)
			}
			checks, err := CompareGraph(context.Background(), Options{Model: c.dir, Device: "cpu", Lib: DefaultLibOptions(""), PrefillChunk: 4}, batches)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 3 {
				t.Fatalf("%d checks", len(checks))
			}
			for _, ch := range checks {
				t.Logf("batch %d: %s", ch.Batch, ch.Verdict)
				if !ch.IDsEqual || ch.ArgmaxMismatch != [2]int{} || ch.MaxULPs > RoundingULPs || ch.Tokens != 12 || ch.Compared != ch.Batch*12 {
					t.Errorf("batch %d: %+v", ch.Batch, ch)
				}
				if ch.Paths != "plain vs static-steps" || ch.Argmax != [2]string{"host", "device"} {
					t.Errorf("paths %q, argmax %v", ch.Paths, ch.Argmax)
				}
			}
		})
	}
}

// TestAnalyzeGraphCheck: the first differing step, the comparable steps and
// the verdict from recorded runs.
func TestAnalyzeGraphCheck(t *testing.T) {
	st := func(diff, top float64, arg int, at ...float32) stepStat {
		s := stepStat{seen: true, inputs: true, diff: diff, top: top, diffAt: -1, argmax: arg}
		if diff > 0 {
			s.diffAt = 3
		}
		if len(at) == 4 {
			s.plainAt, s.graphAt = [2]float32{at[0], at[1]}, [2]float32{at[2], at[3]}
		}
		return s
	}
	// Row 0 equal; row 1 differs at step 2 by a near tie; after that its
	// logits (different inputs) are not compared.
	plain := [][]int{{5, 6, 7}, {1, 2, 3}}
	graph := [][]int{{5, 6, 7}, {1, 2, 4}}
	parg := [][]int{{5, 6, 7}, {1, 2, 3}}
	stats := [][]stepStat{
		{st(0, 8, 5), st(0, 8, 6), st(0.001, 8, 7)},
		{st(0, 8, 1), st(0, 8, 2), st(0.004, 8, 4, 7.5, 7.498, 7.497, 7.5)},
	}
	c := analyze(plain, graph, parg, stats)
	if c.IDsEqual || c.FirstIDDiff == nil || c.FirstIDDiff.Row != 1 || c.FirstIDDiff.Step != 2 ||
		c.FirstIDDiff.Plain != 3 || c.FirstIDDiff.Graph != 4 || c.FirstLogitDiffStep != 2 || c.MaxAt != [2]int{1, 2} {
		t.Fatalf("%+v %+v", c, c.FirstIDDiff)
	}
	if !strings.Contains(c.Verdict, "near tie") || c.ArgmaxMismatch != [2]int{} {
		t.Errorf("verdict %q, mismatch %v", c.Verdict, c.ArgmaxMismatch)
	}
	// A large difference is not rounding; a chosen id that is not the
	// argmax of the tapped logits is reported first.
	stats[1][2].diff = 3
	if c := analyze(plain, graph, parg, stats); !strings.Contains(c.Verdict, "more than rounding") {
		t.Errorf("verdict %q", c.Verdict)
	}
	stats[0][1].argmax = 9
	if c := analyze(plain, graph, parg, stats); c.ArgmaxMismatch != [2]int{0, 1} || !strings.HasPrefix(c.Verdict, "argmax mismatch") {
		t.Errorf("mismatch %v verdict %q", c.ArgmaxMismatch, c.Verdict)
	}
	// Equal runs.
	if c := analyze(plain[:1], graph[:1], parg[:1], [][]stepStat{{st(0, 8, 5), st(0, 8, 6), st(0, 8, 7)}}); !c.IDsEqual || c.Verdict != "identical ids, bit-identical logits" {
		t.Errorf("%+v", c)
	}
}
