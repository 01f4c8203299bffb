package structured

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"unicode/utf8"
)

// Vocab is a model's vocabulary as bytes, with its token trie.
type Vocab struct {
	tokens [][]byte // nil: never generated (special tokens, unused ids)
	eos    []int
	maxLen int
	trie   []tnode
	// Plain tokens are string content as they stand (complete UTF-8, no
	// quote, backslash or control byte): inside a string they are allowed
	// whatever the schema, up to the string's room. plainUpTo[r] is the
	// bitset of those of at most r characters; other is the trie of the
	// remaining tokens, the only ones a string state needs to walk.
	plainUpTo [][]uint64
	other     []tnode
}

type tnode struct {
	kids []tedge
	ids  []int32 // tokens ending here
}

type tedge struct {
	b byte
	n int32
}

// NewVocab indexes tokens (by id; nil for ids never to generate, such as
// special tokens) and the end-of-sequence ids. size is the model's logits
// width (at least len(tokens)).
func NewVocab(tokens [][]byte, eos []int, size int) *Vocab {
	if size < len(tokens) {
		size = len(tokens)
	}
	all := make([][]byte, size)
	copy(all, tokens)
	v := &Vocab{tokens: all, eos: append([]int(nil), eos...), trie: []tnode{{}}, other: []tnode{{}}}
	words := (len(all) + 63) / 64
	runes := make([]int, len(all))
	maxPlain := 0
	for id, t := range all {
		if len(t) == 0 {
			continue
		}
		v.maxLen = max(v.maxLen, len(t))
		v.trie = insert(v.trie, t, id)
		if runes[id] = plainRunes(t); runes[id] < 0 {
			v.other = insert(v.other, t, id)
		}
		maxPlain = max(maxPlain, runes[id])
	}
	v.plainUpTo = make([][]uint64, maxPlain+1)
	for r := range v.plainUpTo {
		v.plainUpTo[r] = make([]uint64, words)
		if r > 0 {
			copy(v.plainUpTo[r], v.plainUpTo[r-1])
		}
		for id, n := range runes {
			if n == r && r > 0 {
				v.plainUpTo[r][id>>6] |= 1 << (uint(id) & 63)
			}
		}
	}
	return v
}

// insert adds token id's bytes to a trie.
func insert(trie []tnode, t []byte, id int) []tnode {
	at := int32(0)
	for _, c := range t {
		next := int32(-1)
		for _, e := range trie[at].kids {
			if e.b == c {
				next = e.n
				break
			}
		}
		if next < 0 {
			next = int32(len(trie))
			trie = append(trie, tnode{})
			trie[at].kids = append(trie[at].kids, tedge{b: c, n: next})
		}
		at = next
	}
	trie[at].ids = append(trie[at].ids, int32(id))
	return trie
}

// plainRunes is the number of characters of a plain token, -1 for others.
func plainRunes(t []byte) int {
	if !utf8.Valid(t) {
		return -1
	}
	n := 0
	for _, r := range string(t) {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == utf8.RuneError {
			return -1
		}
		n++
	}
	return n
}

// Size is the logits width.
func (v *Vocab) Size() int { return len(v.tokens) }

// Index holds what one schema and one vocabulary share: the allowed-token
// bitsets of every grammar state met so far. It is safe for concurrent use.
type Index struct {
	s     *Schema
	v     *Vocab
	words int

	mu    sync.Mutex
	cache map[string]*entry
}

// entry is what a grammar state allows next.
type entry struct {
	bits     []uint64 // allowed tokens, EOS included when accepting
	n        int      // number of allowed tokens
	maxAfter int      // largest minClose after an allowed token
	once     sync.Once
	after    []int32 // minClose after each token (by id; -1: not allowed), for the budget
}

// NewIndex prepares constrained decoding of s over v.
func NewIndex(s *Schema, v *Vocab) *Index {
	return &Index{s: s, v: v, words: (v.Size() + 63) / 64, cache: map[string]*entry{}}
}

// States is the number of distinct grammar states cached so far.
func (ix *Index) States() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.cache)
}

// ErrBudget is returned when the token budget cannot hold the shortest
// valid output.
var ErrBudget = errors.New("too few new tokens for the shortest valid output")

// Decoder constrains one sequence. It is not safe for concurrent use.
type Decoder struct {
	ix      *Index
	st      state
	key     []byte
	e       *entry // for the current state (nil: not looked up yet)
	scratch []uint64
	walk    []state // per-depth states of the trie walk
	Text    []byte  // the bytes accepted so far
}

// NewDecoder starts a sequence that may take at most maxNew tokens.
func (ix *Index) NewDecoder(maxNew int) (*Decoder, error) {
	d := &Decoder{ix: ix, st: newState(ix.s.root)}
	if need := d.st.minClose(ix.s.root); maxNew < need {
		return nil, fmt.Errorf("%w: the schema's shortest value takes %d bytes, and %d new tokens may be fewer", ErrBudget, need, maxNew)
	}
	return d, nil
}

// Accepting reports whether the text so far is a complete valid value.
func (d *Decoder) Accepting() bool { return d.st.accepting() }

// entry returns the cached entry of the current state, computing it once.
func (d *Decoder) entry() *entry {
	if d.e != nil {
		return d.e
	}
	d.key = d.st.key(d.key[:0], d.ix.v.maxLen)
	ix := d.ix
	ix.mu.Lock()
	e := ix.cache[string(d.key)]
	ix.mu.Unlock()
	if e == nil {
		e = d.compute(nil)
		ix.mu.Lock()
		if old := ix.cache[string(d.key)]; old != nil {
			e = old
		} else {
			ix.cache[string(d.key)] = e
		}
		ix.mu.Unlock()
	}
	d.e = e
	return e
}

// compute walks the trie from the current state; with after != nil it also
// records each allowed token's minClose.
func (d *Decoder) compute(after []int32) *entry {
	ix := d.ix
	root := ix.s.root
	e := &entry{bits: make([]uint64, ix.words)}
	if len(d.walk) < ix.v.maxLen+1 {
		d.walk = make([]state, ix.v.maxLen+1)
		for i := range d.walk {
			d.walk[i].f = make([]frame, 0, maxDepth)
		}
	}
	trie := ix.v.trie
	if top := &d.st.f[len(d.st.f)-1]; top.ph == pStrBody && top.pend == 0 && int(top.count) >= top.n.minLen {
		// Inside a string: the plain tokens that fit its room are allowed
		// and leave the shortest completion as it is; walk only the others.
		room := len(ix.v.plainUpTo) - 1
		if top.n.maxLen >= 0 {
			room = min(room, top.n.maxLen-int(top.count))
		}
		copy(e.bits, ix.v.plainUpTo[room])
		if e.n = AllowedCount(e.bits); e.n > 0 {
			e.maxAfter = d.st.minClose(root)
			if after != nil {
				for w, word := range e.bits {
					for ; word != 0; word &= word - 1 {
						after[w*64+bits.TrailingZeros64(word)] = int32(e.maxAfter)
					}
				}
			}
		}
		trie = ix.v.other
	}
	var visit func(n int32, depth int)
	visit = func(n int32, depth int) {
		st := &d.walk[depth]
		tn := &trie[n]
		if len(tn.ids) > 0 {
			mc := st.minClose(root)
			for _, id := range tn.ids {
				e.bits[id>>6] |= 1 << (uint(id) & 63)
				e.n++
				if after != nil {
					after[id] = int32(mc)
				}
			}
			e.maxAfter = max(e.maxAfter, mc)
		}
		for _, k := range tn.kids {
			child := &d.walk[depth+1]
			child.copyFrom(st)
			if child.advance(root, k.b) {
				visit(k.n, depth+1)
			}
		}
	}
	d.walk[0].copyFrom(&d.st)
	visit(0, 0)
	if d.st.accepting() {
		for _, id := range ix.v.eos {
			if id >= 0 && id < ix.v.Size() {
				e.bits[id>>6] |= 1 << (uint(id) & 63)
				e.n++
				if after != nil {
					after[id] = 0
				}
			}
		}
	}
	return e
}

// Allowed returns the bitset (by token id) of the tokens that may come next
// when remaining new tokens are left, this one included. The slice is valid
// until the next call.
func (d *Decoder) Allowed(remaining int) []uint64 {
	e := d.entry()
	limit := remaining - 1
	if limit >= e.maxAfter {
		return e.bits
	}
	// Near the end of the budget: only tokens after which the shortest
	// completion still fits (every byte is a token, so bytes bound tokens).
	e.once.Do(func() {
		e.after = make([]int32, d.ix.v.Size())
		for i := range e.after {
			e.after[i] = -1
		}
		d.compute(e.after)
	})
	if cap(d.scratch) < d.ix.words {
		d.scratch = make([]uint64, d.ix.words)
	}
	out := d.scratch[:d.ix.words]
	clear(out)
	n := 0
	for id, a := range e.after {
		if a >= 0 && int(a) <= limit {
			out[id>>6] |= 1 << (uint(id) & 63)
			n++
		}
	}
	if n == 0 {
		// The budget was already short of the shortest completion (a
		// vocabulary without single-byte tokens): keep to the grammar.
		return e.bits
	}
	return out
}

// Mask sets to -Inf the logits of the tokens Allowed(remaining) excludes.
func (d *Decoder) Mask(logits []float32, remaining int) {
	MaskLogits(logits, d.Allowed(remaining))
}

// MaskLogits sets to -Inf the logits whose bit in allowed is clear. It
// touches only the excluded logits, or, when most are excluded, fills the
// row and puts the allowed ones back.
func MaskLogits(logits []float32, allowed []uint64) {
	ninf := float32(math.Inf(-1))
	words := min(len(allowed), (len(logits)+63)/64)
	n := 0
	for _, w := range allowed[:words] {
		n += bits.OnesCount64(w)
	}
	if n < len(logits)/4 {
		keep := make([]float32, 0, n)
		for w, word := range allowed[:words] {
			for ; word != 0; word &= word - 1 {
				keep = append(keep, logits[w*64+bits.TrailingZeros64(word)])
			}
		}
		for i := range logits {
			logits[i] = ninf
		}
		k := 0
		for w, word := range allowed[:words] {
			for ; word != 0; word &= word - 1 {
				logits[w*64+bits.TrailingZeros64(word)] = keep[k]
				k++
			}
		}
		return
	}
	for w, word := range allowed[:words] {
		base := w * 64
		for z := ^word; z != 0; z &= z - 1 {
			if i := base + bits.TrailingZeros64(z); i < len(logits) {
				logits[i] = ninf
			}
		}
	}
	for i := words * 64; i < len(logits); i++ {
		logits[i] = ninf
	}
}

// AllowedCount is the number of set bits (tests, statistics).
func AllowedCount(allowed []uint64) int {
	n := 0
	for _, w := range allowed {
		n += bits.OnesCount64(w)
	}
	return n
}

// Accept advances past token id.
func (d *Decoder) Accept(id int) error {
	v := d.ix.v
	if id < 0 || id >= v.Size() {
		return fmt.Errorf("token %d outside the vocabulary", id)
	}
	for _, e := range v.eos {
		if id == e {
			if !d.st.accepting() {
				return fmt.Errorf("end of sequence before the value is complete")
			}
			return nil
		}
	}
	t := v.tokens[id]
	if len(t) == 0 {
		return fmt.Errorf("token %d has no text", id)
	}
	for _, c := range t {
		if !d.st.advance(d.ix.s.root, c) {
			return fmt.Errorf("token %d (%q) does not continue %q", id, t, d.Text)
		}
	}
	d.Text = append(d.Text, t...)
	d.e = nil
	return nil
}
