// Package extractive is llsum's built-in summarizer that needs no model: it
// picks the most central sentences of a text with TextRank (Mihalcea & Tarau,
// 2004) over a sentence-similarity graph and returns them in document order.
//
// Similarity is the cosine of TF-IDF weighted term vectors, where terms are
// lower-cased words (with their combining marks) for alphabetic scripts and
// character bigrams for Han, Kana, Hangul, Thai, Lao, Khmer and Myanmar
// text (which has no spaces between words). Sentences come from llsum's
// segmenter (internal/segment). A summary keeps at most MaxSentences
// sentences and, from four sentences on, MaxShare percent of the text. Ranks come from
// the PageRank power iteration (damping 0.85) on the weighted graph. The
// graph is built through an inverted index, so only sentence pairs that share
// a term are compared; very long texts are ranked block by block and the
// blocks' winners ranked again, which keeps time and memory near-linear.
//
// Token counts are an approximation (the backend has no tokenizer): one
// token per three bytes of UTF-8, rounded up. That over-counts English
// (about four bytes a token with Llama 3's tokenizer) and matches CJK (one
// character, three bytes, is about one token), so budgets computed with it
// are conservative.
package extractive

import (
	"context"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
)

// DefaultContextWindow is the approximate-token window the extractive
// backend reports: chunking splits longer documents and reduces the parts'
// summaries, as it does for a model.
const DefaultContextWindow = 8192

// Options tune the summarizer. The zero value uses the defaults.
type Options struct {
	// ContextWindow overrides DefaultContextWindow when positive.
	ContextWindow int
	// MaxSentences caps the sentences of a summary (default 7).
	MaxSentences int
}

// Summarizer is the extractive backend. It is safe for concurrent use.
type Summarizer struct {
	window       int
	maxSentences int
}

// New returns an extractive summarizer.
func New(opts Options) *Summarizer {
	s := &Summarizer{window: DefaultContextWindow, maxSentences: 7}
	if opts.ContextWindow > 0 {
		s.window = opts.ContextWindow
	}
	if opts.MaxSentences > 0 {
		s.maxSentences = opts.MaxSentences
	}
	return s
}

var _ infer.Summarizer = (*Summarizer)(nil)

// Info identifies the backend.
func (s *Summarizer) Info() infer.ModelInfo {
	return infer.ModelInfo{
		Backend:       "extractive",
		Identity:      "extractive-textrank-v1",
		ContextWindow: s.window,
		TokenCounting: "approx",
	}
}

// Tokens approximates the token count of text: ceil(bytes/3).
func (s *Summarizer) Tokens(text string) int { return ApproxTokens(text) }

// ApproxTokens is the documented approximation: one token per three bytes.
func ApproxTokens(text string) int { return (len(text) + 2) / 3 }

// Overhead is zero: the extractive backend takes no prompt.
func (s *Summarizer) Overhead(string) int { return 0 }

// Close releases nothing.
func (s *Summarizer) Close() error { return nil }

// Summarize summarizes each task's text. The instruction is ignored; the
// summary stays within the task's MaxNewTokens (approximate count) when set.
func (s *Summarizer) Summarize(ctx context.Context, tasks []infer.Task) ([]infer.Result, error) {
	out := make([]infer.Result, len(tasks))
	for i, t := range tasks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum := s.summarize(t.Text, t.MaxNewTokens)
		out[i] = infer.Result{
			Summary:          sum,
			Stop:             infer.StopEOS,
			PromptTokens:     ApproxTokens(t.Text),
			CompletionTokens: ApproxTokens(sum),
		}
	}
	return out, nil
}

func (s *Summarizer) summarize(text string, maxTokens int) string {
	sents := SplitSentences(text)
	if len(sents) == 0 {
		return ""
	}
	idx := rankBlocks(sents)
	idx = preferSentences(sents, idx)
	total := 0
	for _, t := range sents {
		total += len(t) + 1 // with the space that joins it
	}
	share := total * MaxShare / 100
	if len(sents) < minShareSentences {
		share = total // a note of a few sentences is kept whole
	}
	// idx holds sentence indexes, best first. Take the best that fit.
	var chosen []int
	used, usedBytes := 0, 0
	for _, i := range idx {
		if len(chosen) >= s.maxSentences {
			break
		}
		if len(chosen) > 0 && usedBytes+len(sents[i])+1 > share {
			continue
		}
		n := ApproxTokens(sents[i]) + 1
		if maxTokens > 0 && used+n > maxTokens {
			if len(chosen) == 0 {
				// Even the best sentence is too long: cut it at a word.
				chosen = append(chosen, i)
				sents[i] = truncate(sents[i], maxTokens)
			}
			continue
		}
		chosen = append(chosen, i)
		used += n
		usedBytes += len(sents[i]) + 1
	}
	sort.Ints(chosen)
	parts := make([]string, len(chosen))
	for k, i := range chosen {
		parts[k] = sents[i]
	}
	return joinSentences(parts)
}

// joinSentences joins with a space, except between CJK sentences.
// preferSentences drops heading-like fragments (no final punctuation) from
// the ranking when the text has at least three real sentences: a summary of
// titles reads badly.
func preferSentences(sents []string, idx []int) []int {
	var real []int
	for _, i := range idx {
		if endsSentence(sents[i]) {
			real = append(real, i)
		}
	}
	if len(real) >= 3 {
		return real
	}
	return idx
}

func endsSentence(s string) bool {
	s = strings.TrimRight(s, "\"')]”’」』）")
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune(".!?。！？｡…", r)
}

func joinSentences(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(parts[i-1])
			next, _ := utf8.DecodeRuneInString(p)
			if !(isCJK(prev) && isCJK(next)) && !(isCJKPunct(prev) && isCJK(next)) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

func truncate(s string, maxTokens int) string {
	limit := maxTokens * 3
	if limit >= len(s) {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

// MaxShare is the most a summary keeps of its text's sentences, in percent
// of their bytes (the best sentence is kept whatever its length), when the
// text has at least minShareSentences sentences: a summary of a short text
// is still shorter than the text.
const MaxShare = 60

// minShareSentences is the fewest sentences a text needs for MaxShare to
// apply; a note of one to three sentences is summarized by itself.
const minShareSentences = 4

// blockSize bounds the sentences ranked together.
const blockSize = 400

// rankBlocks ranks sentences, block by block for long texts, and returns
// sentence indexes best first (ties in document order).
func rankBlocks(sents []string) []int {
	all := make([]int, len(sents))
	for i := range all {
		all[i] = i
	}
	for len(all) > blockSize {
		var next []int
		for start := 0; start < len(all); start += blockSize {
			end := min(start+blockSize, len(all))
			block := all[start:end]
			ranked := rank(sents, block)
			keep := max(1, len(block)/8)
			next = append(next, ranked[:keep]...)
		}
		sort.Ints(next)
		all = next
	}
	return rank(sents, all)
}

// rank runs TextRank over the sentences named by ids and returns ids best
// first.
func rank(sents []string, ids []int) []int {
	n := len(ids)
	terms := make([]map[string]float64, n)
	df := map[string]int{}
	for k, id := range ids {
		tf := map[string]float64{}
		for _, t := range Terms(sents[id]) {
			tf[t]++
		}
		terms[k] = tf
		for t := range tf {
			df[t]++
		}
	}
	// TF-IDF vectors, normalized.
	for _, tf := range terms {
		norm := 0.0
		for t, c := range tf {
			w := (1 + math.Log(c)) * math.Log(1+float64(n)/float64(df[t]))
			tf[t] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		if norm > 0 {
			for t := range tf {
				tf[t] /= norm
			}
		}
	}
	// Inverted index: term -> sentences holding it. Terms found in more than
	// half of the sentences carry little signal and would make the graph
	// dense; skip them.
	post := map[string][]int{}
	for k, tf := range terms {
		for t := range tf {
			if df[t]*2 <= n || n < 4 {
				post[t] = append(post[t], k)
			}
		}
	}
	type edge struct {
		to int
		w  float64
	}
	adj := make([][]edge, n)
	for k, tf := range terms {
		acc := map[int]float64{}
		for t, w := range tf {
			for _, j := range post[t] {
				if j != k {
					acc[j] += w * terms[j][t]
				}
			}
		}
		for j, w := range acc {
			if w > 0.05 {
				adj[k] = append(adj[k], edge{j, w})
			}
		}
		sort.Slice(adj[k], func(a, b int) bool { return adj[k][a].to < adj[k][b].to })
	}
	out := make([]float64, n)
	for k := range adj {
		for _, e := range adj[k] {
			out[k] += e.w
		}
	}
	score := make([]float64, n)
	for k := range score {
		score[k] = 1.0 / float64(n)
	}
	const d = 0.85
	next := make([]float64, n)
	for iter := 0; iter < 50; iter++ {
		for k := range next {
			next[k] = (1 - d) / float64(n)
		}
		for k := range adj {
			if out[k] == 0 {
				continue
			}
			share := d * score[k] / out[k]
			for _, e := range adj[k] {
				next[e.to] += share * e.w
			}
		}
		delta := 0.0
		for k := range next {
			delta += math.Abs(next[k] - score[k])
		}
		score, next = next, score
		if delta < 1e-9 {
			break
		}
	}
	// Slight preference for sentences with content: a one-word "sentence"
	// (a heading, a page number) rarely summarizes anything.
	for k, tf := range terms {
		if len(tf) < 3 {
			score[k] *= 0.5
		}
	}
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	res := make([]int, n)
	for k, o := range order {
		res[k] = ids[o]
	}
	return res
}

// Terms returns the similarity terms of a sentence: lower-cased words of
// two or more letters that are not stop words (a word keeps its combining
// marks and joiners, so Devanagari vowel signs and viramas stay with their
// letters), bigrams of consecutive Han/Kana/Hangul characters, and bigrams
// of consecutive letters, each with its marks, of Thai, Lao, Khmer and
// Myanmar, which put no spaces between words either.
func Terms(s string) []string {
	var out []string
	var word []rune
	var prevCJK rune
	var units []string // letters with their marks, of a run of a space script
	unitStart := -1
	flush := func() {
		if len(word) >= 2 {
			w := string(word)
			if !stopWords[w] {
				out = append(out, w)
			}
		}
		word = word[:0]
	}
	flushUnits := func(end int) {
		if unitStart >= 0 {
			units = append(units, s[unitStart:end])
			unitStart = -1
		}
		if len(units) == 1 {
			out = append(out, units[0])
		}
		for k := 1; k < len(units); k++ {
			out = append(out, units[k-1]+units[k])
		}
		units = units[:0]
	}
	for i, r := range s {
		if isSpaceScript(r) {
			flush()
			prevCJK = 0
			if unicode.IsLetter(r) || unitStart < 0 {
				if unitStart >= 0 {
					units = append(units, s[unitStart:i])
				}
				unitStart = i
			}
			continue
		}
		if unitStart >= 0 || len(units) > 0 {
			flushUnits(i)
		}
		switch {
		case isCJK(r):
			flush()
			if prevCJK != 0 {
				out = append(out, string([]rune{prevCJK, r}))
			} else {
				out = append(out, string(r))
			}
			prevCJK = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '\u200c' || r == '\u200d':
			word = append(word, unicode.ToLower(r))
		default:
			flush()
		}
		prevCJK = 0
	}
	flushUnits(len(s))
	flush()
	return out
}

// isSpaceScript reports whether r is a letter or mark of Thai, Lao, Khmer
// or Myanmar.
func isSpaceScript(r rune) bool {
	return r >= 0x0e00 && r <= 0x109f && unicode.In(r, unicode.Thai, unicode.Lao, unicode.Myanmar) && (unicode.IsLetter(r) || unicode.Is(unicode.M, r)) ||
		r >= 0x1780 && r <= 0x17ff && (unicode.IsLetter(r) || unicode.Is(unicode.M, r))
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

func isCJKPunct(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '」', '』', '）':
		return true
	}
	return false
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be been but by can could did do does for from had has have
		he her his i if in into is it its me my no not of on or our she so such than that the their them then there
		these they this those to too us was we were what when where which while who will with would you your also
		may might must shall should all any each more most other some only own same very just over under again
		der die das und ist nicht mit ein eine auf den dem des sich auch wird werden zu im für von oder
		le les et est une dans des pour qui pas du au sur sont avec ce cette il vous être par ou
		el los las es por con para del se que está son como más pero sus al lo
		il di che è per della gli non delle si anche da nel alla questo come
		os não uma do da com em são dos das mais na ao
		है हैं के का की में को से और पर यह वह भी कि एक इस ने लिए तो हो था थे जो कर`) {
		m[w] = true
	}
	return m
}()
