package tokenizer

import "strings"

// wordCache remembers the ids of recent pre-tokens. Frequent words then cost
// one lookup in a small map that stays in the CPU cache instead of lookups in
// the large vocab and merges tables. Caches live in a sync.Pool, one per
// concurrent Encode call (Tokenizer.caches), so they need no locks.
type wordCache struct {
	spans map[string]span
	ids   []int32
}

type span struct{ off, n int32 }

const (
	cacheWords   = 1 << 14 // entries before the cache is cleared
	cachePieceSz = 64      // longer pieces are not cached
)

func newWordCache() any {
	return &wordCache{spans: make(map[string]span, cacheWords), ids: make([]int32, 0, 4*cacheWords)}
}

// appendCached appends the ids of piece. Whole-token pieces are looked up
// directly; pieces that need merging come from the cache when it has them.
func (t *Tokenizer) appendCached(c *wordCache, out []int, piece string) []int {
	if len(piece) == 1 {
		return append(out, int(t.byteID[piece[0]]))
	}
	if t.ignoreMerges {
		if id, ok := t.vocab.get(piece); ok {
			return append(out, int(id))
		}
	}
	if len(piece) > cachePieceSz {
		return t.bpe(piece, out)
	}
	if s, ok := c.spans[piece]; ok {
		for _, id := range c.ids[s.off : s.off+s.n] {
			out = append(out, int(id))
		}
		return out
	}
	start := len(out)
	out = t.bpe(piece, out)
	if len(c.spans) >= cacheWords {
		clear(c.spans)
		c.ids = c.ids[:0]
	}
	off := len(c.ids)
	for _, id := range out[start:] {
		c.ids = append(c.ids, int32(id))
	}
	c.spans[strings.Clone(piece)] = span{off: int32(off), n: int32(len(out) - start)}
	return out
}
