package tokenizer

import "math"

// merge is one BPE merge rule: the pair's priority (its index in the merges
// list, lower first) and the id of the merged token.
type merge struct {
	rank int32
	id   int32
}

// noMerge is the rank of a pair without a rule.
const noMerge = math.MaxInt32

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// rule returns the merge rule of the pair (a, b), or rank noMerge.
func (t *Tokenizer) rule(a, b int32) merge {
	if m, ok := t.merges.get(pairKey(a, b)); ok {
		return m
	}
	return merge{rank: noMerge}
}

// shortWord is the length (in bytes) up to which bpe scans an array for the
// best pair, which beats the heap on the words of ordinary text.
const shortWord = 128

// bpe appends the ids of piece (a pre-token of more than one byte that is
// not looked up whole) to out: starting from one symbol per byte, it merges
// the adjacent pair with the lowest rank, leftmost first, until no pair has a
// merge rule. This is the Hugging Face BPE model's algorithm.
func (t *Tokenizer) bpe(piece string, out []int) []int {
	if len(piece) > shortWord {
		return t.bpeLong(piece, out)
	}
	var symBuf [shortWord]int32
	var ruleBuf [shortWord]merge
	syms := symBuf[:len(piece)]
	rules := ruleBuf[:len(piece)-1] // rules[i] is the rule of (syms[i], syms[i+1])
	for i := 0; i < len(piece); i++ {
		syms[i] = t.byteID[piece[i]]
	}
	for i := range rules {
		rules[i] = t.rule(syms[i], syms[i+1])
	}
	for len(rules) > 0 {
		at := 0
		for i := 1; i < len(rules); i++ {
			if rules[i].rank < rules[at].rank {
				at = i
			}
		}
		if rules[at].rank == noMerge {
			break
		}
		syms[at] = rules[at].id
		syms = append(syms[:at+1], syms[at+2:]...)
		rules = append(rules[:at], rules[at+1:]...)
		if at > 0 {
			rules[at-1] = t.rule(syms[at-1], syms[at])
		}
		if at < len(rules) {
			rules[at] = t.rule(syms[at], syms[at+1])
		}
	}
	for _, id := range syms {
		out = append(out, int(id))
	}
	return out
}

// candidate is a possible merge of the symbol at position pos with its
// right neighbour, queued in bpeLong. order packs (rank, pos) so that one
// comparison orders candidates: lowest rank first, then leftmost.
type candidate struct {
	order uint64
	left  int32 // the ids the pair had when queued, to drop stale entries
	right int32
}

func newCandidate(rank, pos, left, right int32) candidate {
	return candidate{order: uint64(rank)<<32 | uint64(uint32(pos)), left: left, right: right}
}

func (c candidate) pos() int32 { return int32(uint32(c.order)) }

// candidates is a 4-ary min-heap on order: half the depth of a binary heap,
// and a node's children share a cache line or two.
type candidates []candidate

func (h *candidates) push(c candidate) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 4
		if s[p].order <= c.order {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
}

func (h *candidates) pop() candidate {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	if n > 0 {
		s.down(0)
	}
	*h = s
	return top
}

// down restores the heap order below i.
func (h candidates) down(i int) {
	n := len(h)
	c := h[i]
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		m := first
		for k := first + 1; k < first+4 && k < n; k++ {
			if h[k].order < h[m].order {
				m = k
			}
		}
		if h[m].order >= c.order {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = c
}

// init orders the heap in O(n).
func (h candidates) init() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / 4; i >= 0; i-- {
		h.down(i)
	}
}

// memoSize is the number of slots of bpeLong's pair memo.
const memoSize = 1 << 12

// pairMemo is a small direct-mapped cache of merge rules in front of the
// big merges map: a long piece repeats few distinct pairs, and this keeps
// their lookups in L1.
type pairMemo struct {
	keys  [memoSize]uint64
	rules [memoSize]merge
}

func (m *pairMemo) rule(t *Tokenizer, a, b int32) merge {
	k := pairKey(a, b)
	slot := (k * 0x9E3779B97F4A7C15) >> 52 & (memoSize - 1)
	if m.keys[slot] == k+1 {
		return m.rules[slot]
	}
	r := t.rule(a, b)
	m.keys[slot], m.rules[slot] = k+1, r
	return r
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
	memo := new(pairMemo)
	h := make(candidates, 0, n)
	for i := 0; i < n-1; i++ {
		if m := memo.rule(t, ids[i], ids[i+1]); m.rank != noMerge {
			h = append(h, newCandidate(m.rank, int32(i), ids[i], ids[i+1]))
		}
	}
	h.init()
	queue := func(p, q int32) {
		if m := memo.rule(t, ids[p], ids[q]); m.rank != noMerge {
			h.push(newCandidate(m.rank, p, ids[p], ids[q]))
		}
	}
	for len(h) > 0 {
		c := h.pop()
		p := c.pos()
		q := next[p]
		if q < 0 || ids[p] != c.left || ids[q] != c.right {
			continue // stale: one side was merged since
		}
		ids[p] = memo.rule(t, c.left, c.right).id
		ids[q] = -1
		next[p] = next[q]
		if r := next[q]; r >= 0 {
			prev[r] = p
		}
		if l := prev[p]; l >= 0 {
			queue(l, p)
		}
		if r := next[p]; r >= 0 {
			queue(p, r)
		}
	}
	for p := int32(0); p >= 0; p = next[p] {
		out = append(out, int(ids[p]))
	}
	return out
}
