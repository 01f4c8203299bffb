package chunk

import (
	"sort"
	"unicode/utf8"
)

// unitBytes is the usual size of the estimator's pieces in bytes (smaller
// for budgets under 256 tokens). A piece ends after a run of ASCII
// whitespace between unitBytes and 4·unitBytes, or at unitBytes.
const unitBytes = 256

// estimator maps byte offsets to estimated token counts and back. The text
// is counted once in small pieces; a piece's tokens are spread evenly over
// its bytes. The sum over pieces may differ a little from the count of the
// whole (tokens merge or split where pieces meet); Split counts every chunk
// exactly, so the estimate only guides where cuts go.
type estimator struct {
	ends []int     // end offset of each piece, ascending; the last is len(text)
	cum  []float64 // estimated tokens of text[:ends[i]]
}

func newEstimator(text string, count Counter, budget int) *estimator {
	size := max(8, min(unitBytes, budget))
	n := len(text)/size + 1
	e := &estimator{ends: make([]int, 0, n), cum: make([]float64, 0, n)}
	total := 0.0
	for u := 0; u < len(text); {
		end := unitEnd(text, u, size)
		total += float64(count(text[u:end]))
		e.ends = append(e.ends, end)
		e.cum = append(e.cum, total)
		u = end
	}
	return e
}

// unitEnd returns the end of the piece that starts at u.
func unitEnd(text string, u, size int) int {
	if len(text)-u <= 4*size {
		return len(text)
	}
	for p := u + size; p < u+4*size; p++ {
		if isSpaceByte(text[p-1]) && !isSpaceByte(text[p]) {
			return p
		}
	}
	p := u + size
	for p > u+1 && !utf8.RuneStart(text[p]) {
		p--
	}
	return p
}

func isSpaceByte(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == '\v'
}

// at returns the estimated tokens of text[:pos].
func (e *estimator) at(pos int) float64 {
	if len(e.ends) == 0 || pos <= 0 {
		return 0
	}
	i := sort.SearchInts(e.ends, pos)
	if i >= len(e.ends) {
		return e.cum[len(e.cum)-1]
	}
	start, prev := 0, 0.0
	if i > 0 {
		start, prev = e.ends[i-1], e.cum[i-1]
	}
	return prev + (e.cum[i]-prev)*float64(pos-start)/float64(e.ends[i]-start)
}

// pos returns the largest offset whose estimate is at most tokens (0 when
// tokens is not positive, the text's length when it exceeds the total).
func (e *estimator) pos(tokens float64) int {
	if len(e.ends) == 0 || tokens <= 0 {
		return 0
	}
	i := sort.SearchFloat64s(e.cum, tokens) // first piece reaching tokens
	if i >= len(e.cum) {
		return e.ends[len(e.ends)-1]
	}
	start, prev := 0, 0.0
	if i > 0 {
		start, prev = e.ends[i-1], e.cum[i-1]
	}
	w := e.cum[i] - prev
	if w <= 0 {
		return e.ends[i]
	}
	return start + int(float64(e.ends[i]-start)*(tokens-prev)/w)
}
