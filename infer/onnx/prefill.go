package onnx

import (
	"context"
	"fmt"
	"sort"

	ort "github.com/yalue/onnxruntime_go"
)

// Batched prefill on the shared-KV (GroupQueryAttention) path.
//
// ONNX Runtime's GroupQueryAttention (1.29) runs a pass of several rows
// with more than one new token only as a first prompt: every row starts at
// position 0 and the pass is as long as its attention_mask, each row's
// length being its count of ones (right padding). A pass that continues
// rows already in the cache must be one row, or one token per row (as a
// decode step). So a group of up to maxRows prompts is prefilled as:
//
//  1. one first pass of F tokens per row, all rows together: a prompt of
//     F tokens or more feeds F, a shorter one all but its last token (the
//     rest of its row is padding; only the last position's logits are
//     computed, so a padded row's are not its own);
//  2. each longer prompt's remaining tokens alone, in chunks, as before;
//  3. one pass of one token per row for the shorter prompts' last tokens.
//
// F is chosen by the number of forward passes the group then takes,
// padding counted as a pass per chunk of padded tokens, among the prompts'
// lengths and multiples of the chunk, with rows × F at most firstTokens
// (prefillLimits: a chunk, less where the score budget says so). Where no
// F takes fewer passes than prefilling each prompt alone, and for a group
// of one, each prompt is prefilled alone in chunks from position 0, as
// before. Prompts go into cache rows longest first, so every pass is a
// contiguous range of rows. So short prompts share passes (four 50-token
// prompts: one pass of 4 × 50 instead of four), while prompts of a chunk
// or more keep their chunks: ONNX Runtime's CPU kernels gain nothing from
// passes longer than a chunk (see prefillLimits).

// prefillPass is one forward pass: the rows in cache slots [lo, hi) each
// feed their next feed[i] prompt tokens (at most seq; the rest of the row
// is padding) from their own offset. Several rows with seq > 1 are always
// a first prompt: every row at offset 0.
type prefillPass struct {
	lo, hi, seq int
	feed        []int // per row of [lo, hi)
}

// prefillPlan orders the prompts into cache slots and lists the passes.
type prefillPlan struct {
	order  []int // order[slot] is the request index in that cache row
	passes []prefillPass
}

// planPrefill plans prompts of the given lengths (each > 0) in chunks of
// chunk tokens, at most maxRows rows per pass and firstTokens tokens (rows
// × F) in a group's first pass.
func planPrefill(lens []int, chunk, maxRows, firstTokens int) prefillPlan {
	chunk, maxRows = max(chunk, 1), max(maxRows, 1)
	order := make([]int, len(lens))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lens[order[a]] > lens[order[b]] })
	sorted := make([]int, len(order))
	for slot, i := range order {
		sorted[slot] = lens[i]
	}
	var passes []prefillPass
	for lo := 0; lo < len(sorted); lo += maxRows {
		passes = planGroup(passes, sorted, lo, min(len(sorted), lo+maxRows), chunk, firstTokens)
	}
	return prefillPlan{order: order, passes: passes}
}

// alonePasses feeds slot's prompt from offset off to its end in chunks.
func alonePasses(passes []prefillPass, slot, off, n, chunk int) []prefillPass {
	for ; off < n; off += chunk {
		seq := min(chunk, n-off)
		passes = append(passes, prefillPass{lo: slot, hi: slot + 1, seq: seq, feed: []int{seq}})
	}
	return passes
}

// planGroup appends the passes of slots [lo, hi) (lengths sorted longest
// first).
func planGroup(passes []prefillPass, lens []int, lo, hi, chunk, firstTokens int) []prefillPass {
	if hi-lo == 1 {
		return alonePasses(passes, lo, 0, lens[lo], chunk)
	}
	longest := lens[lo]
	fmax := max(1, min(longest, firstTokens/(hi-lo)))
	cost := func(f int) float64 {
		n, pad, short := 1, 0, false
		for _, l := range lens[lo:hi] {
			switch {
			case l > f:
				n += (l - f + chunk - 1) / chunk
			case l < f:
				pad += f - l + 1
				short = true
			}
		}
		if short {
			n++
		}
		return float64(n) + float64(pad)/float64(chunk)
	}
	best, bestCost := 0, 0.0
	try := func(f int) {
		if f < 1 || f > fmax {
			return
		}
		if c := cost(f); best == 0 || c < bestCost || c == bestCost && f < best {
			best, bestCost = f, c
		}
	}
	for _, l := range lens[lo:hi] {
		try(min(l, fmax))
	}
	for f := chunk; f <= fmax; f += chunk {
		try(f)
	}
	alone := 0
	for _, l := range lens[lo:hi] {
		alone += (l + chunk - 1) / chunk
	}
	if bestCost >= float64(alone) {
		for slot := lo; slot < hi; slot++ {
			passes = alonePasses(passes, slot, 0, lens[slot], chunk)
		}
		return passes
	}
	f := best
	first := prefillPass{lo: lo, seq: f}
	for slot := lo; slot < hi; slot++ {
		feed := f
		if lens[slot] < f {
			feed = lens[slot] - 1
		}
		if feed == 0 {
			break // one-token prompts (the last slots) only take step 3
		}
		first.feed = append(first.feed, feed)
	}
	first.hi = lo + len(first.feed)
	passes = append(passes, first)
	last := prefillPass{hi: hi, seq: 1}
	for slot := lo; slot < hi; slot++ {
		if lens[slot] > f {
			passes = alonePasses(passes, slot, f, lens[slot], chunk)
		}
		if lens[slot] < f {
			if last.feed == nil {
				last.lo = slot
			}
			last.feed = append(last.feed, 1)
		}
	}
	if last.feed != nil {
		passes = append(passes, last)
	}
	return passes
}

// prefillScoreBudget bounds the attention-score scratch a batched prefill
// pass may ask of ONNX Runtime's CPU GroupQueryAttention: it allocates
// rows × heads × new tokens × cache length fp32 scores per layer, so four
// 256-token chunks at a 4K cache would hold 540 MB (the 1B shape) where one
// holds 135 MB.
const prefillScoreBudget = 256 << 20

// prefillLimits are the plan's limits for a batch of n rows with a cache
// of capacity positions: rows per group and tokens in a group's first pass.
func (e *Engine) prefillLimits(n, capacity int) (rows, firstTokens int) {
	s := e.spec
	// Only where the pass's logits stay one row per sequence (a graph
	// with logits for every position would need rows × tokens ×
	// vocabulary) and on the CPU, the path the batched passes are tested on.
	if n <= 1 || !s.ShareBuffer || !s.LastLogits || s.StaticOutputs || e.device != "cpu" {
		return 1, e.chunk
	}
	heads := s.Heads
	if heads <= 0 {
		heads = 8 * s.KVHeads // unknown: assume many query heads per KV head
	}
	// A first pass holds at most a chunk of tokens: ONNX Runtime's int4
	// MatMulNBits costs more per token in longer passes (four 512-token
	// prompts in one 2048-token pass prefilled at 43 tok/s where eight
	// 256-token passes ran at 58-62, one thread).
	firstTokens = max(1, min(e.chunk, prefillScoreBudget/max(1, heads*capacity*4)))
	if e.maxRows > 0 {
		return min(n, e.maxRows), firstTokens
	}
	return min(n, firstTokens), firstTokens
}

// prefillShared runs the plan's passes on the shared cache; g.rows are in
// slot order. Each row's length counts the prompt tokens prefilled so far;
// a row's first token is sampled from the pass that ends its prompt, whose
// last position is then that row's last prompt token.
func (g *gen) prefillShared(ctx context.Context, plan prefillPlan) error {
	s := g.e.spec
	sc := &g.e.scratch
	for _, p := range plan.passes {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := p.hi - p.lo
		total := 0
		for _, r := range g.rows[p.lo:p.hi] {
			total = max(total, r.length+p.seq)
		}
		for b, r := range g.rows[p.lo:p.hi] {
			off, feed := r.length, p.feed[b]
			for i := 0; i < p.seq; i++ {
				tok, pos := int64(s.Pad), int64(1)
				if i < feed {
					tok, pos = int64(r.req.InputIDs[off+i]), int64(off+i)
				}
				putInt(sc.ids.bytes(), b*p.seq+i, s.IDsType, tok)
				putInt(sc.pos.bytes(), b*p.seq+i, ort.TensorElementDataTypeInt64, pos)
			}
			// Right-padded mask: GroupQueryAttention takes each row's
			// length from its count of ones.
			for c := 0; c < total; c++ {
				m := int64(0)
				if c < off+feed {
					m = 1
				}
				putInt(sc.mask.bytes(), b*total+c, s.MaskType, m)
			}
		}
		kv, err := g.e.kv.sharedViews(p.lo, n)
		if err != nil {
			return fmt.Errorf("onnx: kv views: %w", err)
		}
		static, err := g.step(n, p.seq, total, kv, kv)
		destroyAll(kv)
		if err != nil {
			return err
		}
		for b, r := range g.rows[p.lo:p.hi] {
			r.length += p.feed[b]
			if r.length < len(r.req.InputIDs) {
				continue
			}
			if p.feed[b] != p.seq {
				err = fmt.Errorf("onnx: prefill plan ends row %d in a padded pass", p.lo+b)
				break
			}
			g.accept(r, g.pick(r, g.observe(p.lo+b, g.rowLogits(static, b, p.seq-1, p.seq))))
		}
		if static != nil {
			_ = static.Destroy()
		}
		if err != nil {
			return err
		}
	}
	return nil
}
