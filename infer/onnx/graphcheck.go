package onnx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/llsum/llsum/infer/onnx/cudamem"
)

// Graph check: the CUDA-graph decode path (or, on CPU, its static-step
// layout) against the plain path, logits step by step and not only ids.
//
// Both paths run the same greedy requests. A tap sees each row's logits
// before the token is chosen; the plain run's logits are kept, the graph
// run's are compared with them as they come. Step k of a row is comparable
// while the two runs chose the same ids before it: both then fed the model
// the same tokens, so any logit difference is the paths' own arithmetic (or
// a race). The first step where the ids differ is reported with the top
// logits of both runs: a near tie within fp16 rounding of the logits'
// magnitude is arithmetic; a difference of many ulps is not.

// tapFunc sees the logits of row (its request's index) for its output
// token number step, before sampling; logits is reused after the call.
type tapFunc func(row, step int, logits []float32)

// observe passes row's logits to the engine's tap, if any, and returns them.
func (g *gen) observe(row int, l []float32) []float32 {
	if g.e.tap != nil {
		r := g.rows[row]
		g.e.tap(r.idx, len(r.res.OutputIDs), l)
	}
	return l
}

// GraphCheck compares one batch's greedy decoding on the two paths.
type GraphCheck struct {
	Batch  int    `json:"batch"`
	Tokens int    `json:"tokens"` // new tokens per row
	Paths  string `json:"paths"`  // "plain vs cuda-graph" or "plain vs static-steps"
	// Argmax says where each path reduced logits to ids: "host" or "device".
	Argmax [2]string `json:"argmax"`
	// IDsEqual: every row got the same ids on both paths.
	IDsEqual bool `json:"ids_equal"`
	// FirstIDDiff is the earliest step (over the rows) whose ids differ.
	FirstIDDiff *IDDiff `json:"first_id_diff,omitempty"`
	// FirstLogitDiffStep is the earliest comparable step whose logits are not
	// bit-identical (-1: none).
	FirstLogitDiffStep int `json:"first_logit_diff_step"`
	// MaxAbsDiff is the largest |plain - graph| logit over comparable steps,
	// at row MaxAt[0], step MaxAt[1]; MaxULPs is it in fp16 ulps of the
	// largest |logit| of that row and step.
	MaxAbsDiff float64 `json:"max_abs_diff"`
	MaxAt      [2]int  `json:"max_at"`
	MaxULPs    float64 `json:"max_ulps"`
	// Compared counts the (row, step) logits compared.
	Compared int `json:"compared"`
	// ArgmaxMismatch counts steps whose chosen id is not the host argmax of
	// the logits the tap saw (plain, graph): the device argmax's check.
	ArgmaxMismatch [2]int `json:"argmax_mismatch"`
	// Verdict is one line: identical, near tie within rounding, or not.
	Verdict string `json:"verdict"`
}

// IDDiff is where a row's ids first differ.
type IDDiff struct {
	Row   int `json:"row"`
	Step  int `json:"step"`
	Plain int `json:"plain_id"`
	Graph int `json:"graph_id"`
	// Margins: how far each run's pick led the other's pick in its own
	// logits (plain[plain_id]-plain[graph_id], graph[graph_id]-graph[plain_id]).
	PlainMargin float64 `json:"plain_margin"`
	GraphMargin float64 `json:"graph_margin"`
	// StepDiff is the step's max |plain - graph| logit, StepULPs in fp16
	// ulps of the step's largest |logit|.
	StepDiff float64 `json:"step_diff"`
	StepULPs float64 `json:"step_ulps"`
}

// RoundingULPs is how many fp16 ulps (of the largest |logit| of the step)
// logits of the two paths may differ by and still count as rounding: the
// paths split attention and reductions differently, and 28 layers of fp16
// accumulate a few ulps; a race or a wrong mask gives differences of the
// logits' own size.
const RoundingULPs = 16

// stepStat is what the graph run's tap records of one (row, step).
type stepStat struct {
	seen, inputs     bool       // tapped; plain logits were there to compare
	diff, top        float64    // max |plain - graph|, max |logit| of the step
	diffAt           int        // first index that differs (-1: bit-identical)
	argmax           int        // host argmax of the graph run's logits
	plainAt, graphAt [2]float32 // each run's logits at [plain's id, graph's argmax]
}

// CompareGraph runs each batch of greedy requests on the plain decode path
// and on the graph path (CUDA graphs on a CUDA device; on CPU the same
// static-step layout over the C-memory route, without a graph) and compares
// them. o is the plain engine's options (its CUDAGraph is ignored).
func CompareGraph(ctx context.Context, o Options, batches [][]GenRequest) ([]GraphCheck, error) {
	var plainLogits [][][]float32 // [row][step] of the batch being checked
	var plainArg [][]int
	po := o
	po.CUDAGraph = false
	po.tap = func(row, step int, l []float32) {
		for len(plainLogits[row]) <= step {
			plainLogits[row] = append(plainLogits[row], nil)
			plainArg[row] = append(plainArg[row], -1)
		}
		plainLogits[row][step] = append([]float32(nil), l...)
		plainArg[row][step] = argmaxFloat(l)
	}
	plain, err := Open(ctx, po)
	if err != nil {
		return nil, err
	}
	defer plain.Close()
	var stats [][]stepStat
	var plainIDs [][]int
	go2 := o
	go2.Notice = nil
	paths := "plain vs cuda-graph"
	if strings.HasPrefix(plain.Device(), "cuda") {
		go2.CUDAGraph = true
	} else {
		paths = "plain vs static-steps"
		api, err := cudamem.Load(plain.Runtime().Path)
		if err != nil {
			return nil, err
		}
		host, err := cudamem.NewHost(api)
		if err != nil {
			return nil, err
		}
		defer host.Close()
		go2.kvMemory, go2.staticSteps = devMemory{m: host}, true
	}
	go2.tap = func(row, step int, l []float32) {
		for len(stats[row]) <= step {
			stats[row] = append(stats[row], stepStat{})
		}
		st := stepStat{seen: true, diffAt: -1, argmax: argmaxFloat(l)}
		if row < len(plainLogits) && step < len(plainLogits[row]) && plainLogits[row][step] != nil {
			ref := plainLogits[row][step]
			for i, v := range l {
				d := math.Abs(float64(v) - float64(ref[i]))
				if v != ref[i] && !(math.IsInf(float64(v), -1) && math.IsInf(float64(ref[i]), -1)) {
					if st.diffAt < 0 {
						st.diffAt = i
					}
					st.diff = max(st.diff, d)
				}
				st.top = max(st.top, math.Abs(float64(ref[i])), math.Abs(float64(v)))
			}
			st.inputs = true
			p := plainIDs[row]
			if step < len(p) {
				st.plainAt = [2]float32{ref[p[step]], ref[st.argmax]}
				st.graphAt = [2]float32{l[p[step]], l[st.argmax]}
			}
		}
		stats[row][step] = st
	}
	graph, err := Open(ctx, go2)
	if err != nil {
		return nil, err
	}
	defer graph.Close()
	if graph.graphs == nil {
		return nil, errors.New("graph check: the graph path is off for this model (it needs GroupQueryAttention with a shared KV buffer in device memory)")
	}
	out := make([]GraphCheck, 0, len(batches))
	for _, reqs := range batches {
		n := len(reqs)
		plainLogits, plainArg = make([][][]float32, n), make([][]int, n)
		stats = make([][]stepStat, n)
		pr, err := plain.Generate(ctx, reqs)
		if err != nil {
			return nil, fmt.Errorf("graph check: plain path, batch %d: %w", n, err)
		}
		plainIDs = make([][]int, n)
		for i := range pr {
			plainIDs[i] = pr[i].OutputIDs
		}
		gr, err := graph.Generate(ctx, reqs)
		plainLogits = nil // free before the next batch
		if err != nil {
			return nil, fmt.Errorf("graph check: graph path, batch %d: %w", n, err)
		}
		graphIDs := make([][]int, n)
		for i := range gr {
			graphIDs[i] = gr[i].OutputIDs
		}
		c := analyze(plainIDs, graphIDs, plainArg, stats)
		c.Batch, c.Tokens, c.Paths = n, reqs[0].MaxNewTokens, paths
		c.Argmax = [2]string{argmaxWhere(plain), argmaxWhere(graph)}
		out = append(out, c)
	}
	return out, nil
}

func argmaxWhere(e *Engine) string {
	if e.argmax != nil {
		return "device"
	}
	return "host"
}

// ulp16 is the spacing of fp16 values at magnitude x.
func ulp16(x float64) float64 {
	if x < 6.103515625e-05 { // below the smallest normal: subnormal spacing
		return math.Ldexp(1, -24)
	}
	e := math.Floor(math.Log2(x))
	return math.Ldexp(1, int(e)-10)
}

// analyze compares the two runs' ids and the graph run's per-step stats.
func analyze(plainIDs, graphIDs, plainArg [][]int, stats [][]stepStat) GraphCheck {
	c := GraphCheck{IDsEqual: true, FirstLogitDiffStep: -1}
	for r := range plainIDs {
		p, g := plainIDs[r], graphIDs[r]
		for k, id := range p {
			if k < len(plainArg[r]) && plainArg[r][k] != id {
				c.ArgmaxMismatch[0]++
			}
		}
		for k, id := range g {
			if k < len(stats[r]) && stats[r][k].seen && stats[r][k].argmax != id {
				c.ArgmaxMismatch[1]++
			}
		}
		diverged := -1
		for k := 0; k < max(len(p), len(g)); k++ {
			if k >= len(p) || k >= len(g) || p[k] != g[k] {
				diverged = k
				break
			}
		}
		// Comparable steps: up to and including the first differing one.
		last := len(stats[r]) - 1
		if diverged >= 0 {
			last = min(last, diverged)
			c.IDsEqual = false
		}
		for k := 0; k <= last; k++ {
			st := stats[r][k]
			if !st.inputs {
				continue
			}
			c.Compared++
			if st.diffAt >= 0 && (c.FirstLogitDiffStep < 0 || k < c.FirstLogitDiffStep) {
				c.FirstLogitDiffStep = k
			}
			if st.diff > c.MaxAbsDiff {
				c.MaxAbsDiff, c.MaxAt, c.MaxULPs = st.diff, [2]int{r, k}, st.diff/ulp16(st.top)
			}
		}
		if diverged < 0 || (c.FirstIDDiff != nil && c.FirstIDDiff.Step <= diverged) {
			continue
		}
		d := &IDDiff{Row: r, Step: diverged, Plain: -1, Graph: -1}
		if diverged < len(p) {
			d.Plain = p[diverged]
		}
		if diverged < len(g) {
			d.Graph = g[diverged]
		}
		if diverged < len(stats[r]) && stats[r][diverged].inputs {
			st := stats[r][diverged]
			d.PlainMargin = float64(st.plainAt[0] - st.plainAt[1])
			d.GraphMargin = float64(st.graphAt[1] - st.graphAt[0])
			d.StepDiff, d.StepULPs = st.diff, st.diff/ulp16(st.top)
		}
		c.FirstIDDiff = d
	}
	switch {
	case c.ArgmaxMismatch != [2]int{}:
		c.Verdict = fmt.Sprintf("argmax mismatch: %d plain and %d graph steps chose an id that is not the host argmax of their logits", c.ArgmaxMismatch[0], c.ArgmaxMismatch[1])
	case c.Compared == 0:
		c.Verdict = "no logits compared"
	case c.IDsEqual && c.FirstLogitDiffStep < 0:
		c.Verdict = "identical ids, bit-identical logits"
	case c.IDsEqual:
		c.Verdict = fmt.Sprintf("identical ids; logits differ from step %d by at most %.3g (%.1f fp16 ulps)", c.FirstLogitDiffStep, c.MaxAbsDiff, c.MaxULPs)
	case c.MaxULPs <= RoundingULPs:
		d := c.FirstIDDiff
		c.Verdict = fmt.Sprintf("ids differ from row %d step %d (%d vs %d): a near tie (margins %.3g / %.3g) within fp16 rounding (logits differ by at most %.1f ulps)",
			d.Row, d.Step, d.Plain, d.Graph, d.PlainMargin, d.GraphMargin, c.MaxULPs)
	default:
		d := c.FirstIDDiff
		c.Verdict = fmt.Sprintf("ids differ from row %d step %d (%d vs %d) and logits differ by %.3g (%.1f fp16 ulps) at row %d step %d: more than rounding",
			d.Row, d.Step, d.Plain, d.Graph, c.MaxAbsDiff, c.MaxULPs, c.MaxAt[0], c.MaxAt[1])
	}
	return c
}
