package tokenizer

import "container/heap"

// merge is one BPE merge rule: the pair's priority (its index in the merges
// list, lower first) and the id of the merged token.
type merge struct {
	rank int32
	id   int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// shortWord is the length (in bytes) up to which bpe uses the quadratic
// scan, which is faster than the heap for the short words of ordinary text.
const shortWord = 48

// bpe appends the ids of piece (a pre-token of more than one byte that is
// not looked up whole) to out: starting from one symbol per byte, it merges
// the adjacent pair with the lowest rank, leftmost first, until no pair has a
// merge rule. This is the Hugging Face BPE model's algorithm.
func (t *Tokenizer) bpe(piece string, out []int) []int {
	if len(piece) > shortWord {
		return t.bpeLong(piece, out)
	}
	var buf [shortWord]int32
	syms := buf[:len(piece)]
	for i := 0; i < len(piece); i++ {
		syms[i] = t.byteID[piece[i]]
	}
	for len(syms) > 1 {
		best, at := merge{rank: -1}, -1
		for i := 0; i+1 < len(syms); i++ {
			m, ok := t.merges[pairKey(syms[i], syms[i+1])]
			if ok && (at < 0 || m.rank < best.rank) {
				best, at = m, i
			}
		}
		if at < 0 {
			break
		}
		syms[at] = best.id
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	for _, id := range syms {
		out = append(out, int(id))
	}
	return out
}

// candidate is a possible merge of the symbol at pos with its right
// neighbour, queued in bpeLong.
type candidate struct {
	rank  int32
	pos   int32
	left  int32 // the ids the pair had when queued, to drop stale entries
	right int32
}

type candidates []candidate

func (h candidates) Len() int { return len(h) }
func (h candidates) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h candidates) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candidates) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidates) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bpeLong is bpe for long pieces in O(n log n): symbols form a linked list
// and candidate merges wait in a heap ordered by (rank, position).
func (t *Tokenizer) bpeLong(piece string, out []int) []int {
	n := len(piece)
	ids := make([]int32, n)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := 0; i < n; i++ {
		ids[i] = t.byteID[piece[i]]
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := make(candidates, 0, n)
	push := func(p int32) {
		q := next[p]
		if q < 0 {
			return
		}
		if m, ok := t.merges[pairKey(ids[p], ids[q])]; ok {
			h = append(h, candidate{rank: m.rank, pos: p, left: ids[p], right: ids[q]})
		}
	}
	for i := 0; i < n-1; i++ {
		push(int32(i))
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(candidate)
		p := c.pos
		q := next[p]
		if ids[p] < 0 || q < 0 || ids[p] != c.left || ids[q] != c.right {
			continue // stale: one side was merged since
		}
		ids[p] = t.merges[pairKey(c.left, c.right)].id
		ids[q] = -1
		next[p] = next[q]
		if r := next[q]; r >= 0 {
			prev[r] = p
		}
		if l := prev[p]; l >= 0 {
			if m, ok := t.merges[pairKey(ids[l], ids[p])]; ok {
				heap.Push(&h, candidate{rank: m.rank, pos: l, left: ids[l], right: ids[p]})
			}
		}
		if r := next[p]; r >= 0 {
			if m, ok := t.merges[pairKey(ids[p], ids[r])]; ok {
				heap.Push(&h, candidate{rank: m.rank, pos: p, left: ids[p], right: ids[r]})
			}
		}
	}
	for p := int32(0); p >= 0; p = next[p] {
		out = append(out, int(ids[p]))
	}
	return out
}
