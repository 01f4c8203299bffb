package chunk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/corpustest"
	"github.com/rivo/uniseg"
)

// referencePages reads a pdftotext reference of the shared corpus as pages.
func referencePages(t testing.TB, name string) []extract.Page {
	t.Helper()
	return corpustest.Reference(t, name).Pages
}

// Counters the properties are checked with.
var counters = map[string]Counter{
	// the extractive backend's approximation
	"extractive": extractive.ApproxTokens,
	// closer to a real tokenizer
	"approx": ApproxTokens,
	// one token per 4 bytes
	"bytes": func(s string) int { return (len(s) + 3) / 4 },
	// one token per character: CJK-like density
	"runes": utf8.RuneCountInString,
	// grows faster than the sum of its parts, so the estimate of a chunk
	// from its pieces always falls short and every cut has to be pulled back
	"superadditive": func(s string) int { n := len(s); return ApproxTokens(s) + n*n/500_000 },
}

// checkPlan checks the properties every plan must have.
func checkPlan(t *testing.T, pages []extract.Page, count Counter, opts Options, plan *Plan) {
	t.Helper()
	text := Join(pages, opts.Separator)
	if strings.TrimSpace(text) == "" {
		if len(plan.Chunks) != 0 {
			t.Fatalf("blank text gave %d chunks", len(plan.Chunks))
		}
		return
	}
	if len(plan.Chunks) == 0 {
		t.Fatal("no chunks")
	}
	if plan.Budget != opts.Budget {
		t.Errorf("plan budget %d, want %d", plan.Budget, opts.Budget)
	}
	var own strings.Builder
	for i, c := range plan.Chunks {
		if c.Index != i {
			t.Fatalf("chunk %d has index %d", i, c.Index)
		}
		if c.Own() == "" {
			t.Fatalf("chunk %d is empty", i)
		}
		if n := count(c.Text); n != c.Tokens || n > opts.Budget {
			t.Fatalf("chunk %d: %d tokens by count, %d recorded, budget %d", i, n, c.Tokens, opts.Budget)
		}
		if c.Text != text[c.Start-c.Overlap:c.End] {
			t.Fatalf("chunk %d: text is not the joined text at %d-%d..%d", i, c.Overlap, c.Start, c.End)
		}
		if !utf8.ValidString(c.Text) {
			t.Fatalf("chunk %d: cut inside a UTF-8 character", i)
		}
		want := 0
		if i > 0 {
			prev := plan.Chunks[i-1]
			want = prev.End
			if c.Start-c.Overlap < prev.Start {
				t.Fatalf("chunk %d overlaps beyond the previous chunk", i)
			}
			if c.Pages[0] != prev.Pages[1] && c.Pages[0] != prev.Pages[1]+1 {
				t.Fatalf("chunk %d pages %v do not follow %v", i, c.Pages, prev.Pages)
			}
		} else if c.Overlap != 0 {
			t.Fatalf("first chunk has an overlap")
		}
		if c.Start != want {
			t.Fatalf("chunk %d starts at %d, want %d", i, c.Start, want)
		}
		if c.Pages[0] > c.Pages[1] {
			t.Fatalf("chunk %d pages %v", i, c.Pages)
		}
		own.WriteString(c.Own())
	}
	if own.String() != text {
		t.Fatal("chunks, overlaps removed, do not reassemble the text")
	}
	if len(text) < 1<<20 {
		bounds := graphemeBounds(text)
		for i, c := range plan.Chunks {
			if !bounds[c.Start] || !bounds[c.Start-c.Overlap] || !bounds[c.End] {
				t.Fatalf("chunk %d starts inside a grapheme cluster", i)
			}
		}
	}
	first, last := plan.Chunks[0], plan.Chunks[len(plan.Chunks)-1]
	if first.Pages[0] != pages[0].Number || last.Pages[1] != pages[len(pages)-1].Number {
		t.Fatalf("pages %v..%v do not cover %d..%d", first.Pages, last.Pages, pages[0].Number, pages[len(pages)-1].Number)
	}
	if len(plan.Chunks) > 1 && count(text) <= opts.Budget {
		t.Fatalf("text of %d tokens fits the budget of %d but took %d chunks", count(text), opts.Budget, len(plan.Chunks))
	}
}

var boundsCache sync.Map // text → []bool

// graphemeBounds tells which offsets of text are grapheme cluster
// boundaries.
func graphemeBounds(text string) []bool {
	if b, ok := boundsCache.Load(text); ok {
		return b.([]bool)
	}
	b := make([]bool, len(text)+1)
	b[0] = true
	pos, state := 0, -1
	for rest := text; len(rest) > 0; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(cluster)
		b[pos] = true
	}
	boundsCache.Store(text, b)
	return b
}

// spread returns the smallest and largest chunk token counts.
func spread(plan *Plan) (lo, hi int) {
	lo = math.MaxInt
	for _, c := range plan.Chunks {
		lo, hi = min(lo, c.Tokens), max(hi, c.Tokens)
	}
	return lo, hi
}

func TestCorpusProperties(t *testing.T) {
	docs := []string{"R-intro.txt", "R-FAQ.txt", "ctex.txt", "zhlipsum.txt", "polyglossia-example-japanese.txt",
		"arabluatex-al-Jahiz.txt", "c90-thai.txt", "babel-russianb.layout.txt", "lo-table.layout.txt", "chromium-zh-llama.txt"}
	budgets := []int{16, 100, 700, 3000}
	for _, name := range docs {
		pages := referencePages(t, name)
		size := len(Join(pages, ""))
		for cname, count := range counters {
			for _, b := range budgets {
				if b*4000 < size {
					continue // thousands of tiny chunks: slow under -race, and covered by the smaller documents
				}
				for _, ov := range []int{0, b / 5} {
					opts := Options{Budget: b, Overlap: ov}
					t.Run(fmt.Sprintf("%s/%s/%d/%d", name, cname, b, ov), func(t *testing.T) {
						plan, err := Split(context.Background(), pages, count, opts)
						if err != nil {
							t.Fatal(err)
						}
						checkPlan(t, pages, count, opts, plan)
						lo, hi := spread(plan)
						t.Logf("%d chunks, tokens %d..%d", len(plan.Chunks), lo, hi)
					})
				}
			}
		}
	}
}

func TestCorpusNearEqual(t *testing.T) {
	// Chunks are near-equal in size: for budgets that hold a few sentences,
	// the smallest chunk holds at least 40 % of the largest (own tokens,
	// overlap excluded).
	for _, name := range []string{"R-intro.txt", "ctex.txt", "babel-russianb.layout.txt", "zhlipsum.txt"} {
		pages := referencePages(t, name)
		for cname, count := range counters {
			for _, b := range []int{300, 1500} {
				plan, err := Split(context.Background(), pages, count, Options{Budget: b, Overlap: b / 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(plan.Chunks) < 2 {
					continue
				}
				lo, hi := math.MaxInt, 0
				for _, c := range plan.Chunks {
					n := count(c.Own())
					lo, hi = min(lo, n), max(hi, n)
				}
				if float64(lo) < 0.4*float64(hi) {
					t.Errorf("%s/%s/%d: %d chunks of %d..%d own tokens", name, cname, b, len(plan.Chunks), lo, hi)
				}
			}
		}
	}
}

// TestHugeDocument splits the 2,415-page reference manual.
func TestHugeDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("large document")
	}
	pages := referencePages(t, "R-fullrefman.txt")
	opts := Options{Budget: 1700, Overlap: 64}
	plan, err := Split(context.Background(), pages, ApproxTokens, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pages, ApproxTokens, opts, plan)
	levels := map[int]int{}
	sp := newSplitter(pages, "\f", ApproxTokens, opts)
	for _, c := range plan.Chunks[:len(plan.Chunks)-1] {
		levels[sp.levelAt(c.End)]++
	}
	t.Logf("%d pages, %d chunks, cuts by level (page, paragraph, sentence, word, space, none): %v", len(pages), len(plan.Chunks), levels)
	if levels[levelPage]+levels[levelParagraph] < len(plan.Chunks)/2 {
		t.Errorf("only %d of %d cuts at a page or paragraph", levels[levelPage]+levels[levelParagraph], len(plan.Chunks)-1)
	}
}

func TestBoundaries(t *testing.T) {
	words := func(n int, sep string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "word%d%s", i%10, sep)
		}
		return b.String()
	}
	bytes4 := counters["bytes"]
	runes := counters["runes"]
	tests := []struct {
		name   string
		pages  []string
		count  Counter
		budget int
		// check is run on every chunk but the last
		check func(c Chunk) string
	}{
		{
			name:   "page breaks",
			pages:  []string{words(60, " ") + "end.\n\nMore.", words(60, " "), words(60, " "), words(60, " "), words(60, " "), words(60, " ")},
			count:  bytes4,
			budget: 250,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "\f") || c.Pages[1]-c.Pages[0] != 1 {
					return "not cut at a page break after two pages"
				}
				return ""
			},
		},
		{
			name:   "paragraphs",
			pages:  []string{strings.Repeat(words(70, " ")+"end. Then\n\n", 8)},
			count:  bytes4,
			budget: 250,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "Then\n\n") {
					return "not cut at a blank line"
				}
				return ""
			},
		},
		{
			name:   "markdown headings",
			pages:  []string{strings.Repeat(words(70, " ")+"end. Then\n## Heading\n", 8)},
			count:  bytes4,
			budget: 250,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "Then\n") {
					return "not cut before a heading"
				}
				return ""
			},
		},
		{
			name:   "sentences",
			pages:  []string{strings.Repeat("Here are some words (and more).\n", 100)},
			count:  bytes4,
			budget: 100,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, ").\n") {
					return "not cut at a sentence end"
				}
				return ""
			},
		},
		{
			name:   "CJK sentences",
			pages:  []string{strings.Repeat("这是一个用来测试的句子，它没有空格。「引号！」", 60)},
			count:  runes,
			budget: 100,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "。") && !strings.HasSuffix(c.Text, "！」") {
					return "not cut at a sentence end"
				}
				return ""
			},
		},
		{
			name:   "words",
			pages:  []string{words(500, " ")},
			count:  bytes4,
			budget: 100,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, " ") {
					return "not cut at a space"
				}
				return ""
			},
		},
		{
			name:   "CJK without punctuation",
			pages:  []string{strings.Repeat("汉字测试", 300)},
			count:  runes,
			budget: 100,
			check:  func(c Chunk) string { return "" },
		},
		{
			name:   "combining marks",
			pages:  []string{strings.Repeat("e\u0301", 500)},
			count:  runes,
			budget: 50,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "\u0301") {
					return "cut inside a grapheme cluster"
				}
				return ""
			},
		},
		{
			name:   "emoji sequences",
			pages:  []string{strings.Repeat("👨‍👩‍👧", 100)},
			count:  runes,
			budget: 30,
			check: func(c Chunk) string {
				if !strings.HasSuffix(c.Text, "👧") || !strings.HasPrefix(c.Text, "👨") {
					return "cut inside a grapheme cluster"
				}
				return ""
			},
		},
		{
			name:   "long unbroken word after words",
			pages:  []string{"a few words " + strings.Repeat("x", 1000) + " and more words"},
			count:  bytes4,
			budget: 50,
			check:  func(c Chunk) string { return "" },
		},
		{
			name:   "whitespace runs",
			pages:  []string{strings.Repeat("x"+strings.Repeat(" ", 300)+"\n", 20)},
			count:  runes,
			budget: 100,
			check:  func(c Chunk) string { return "" },
		},
		{
			name:   "empty pages",
			pages:  []string{"", words(100, " "), "", "", words(100, " "), ""},
			count:  bytes4,
			budget: 150,
			check:  func(c Chunk) string { return "" },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages := make([]extract.Page, len(tc.pages))
			for i, p := range tc.pages {
				pages[i] = extract.Page{Number: i + 1, Text: p}
			}
			for _, ov := range []int{0, tc.budget / 5} {
				opts := Options{Budget: tc.budget, Overlap: ov}
				plan, err := Split(context.Background(), pages, tc.count, opts)
				if err != nil {
					t.Fatal(err)
				}
				checkPlan(t, pages, tc.count, opts, plan)
				if len(plan.Chunks) < 2 {
					t.Fatalf("%d chunks", len(plan.Chunks))
				}
				for _, c := range plan.Chunks[:len(plan.Chunks)-1] {
					if ov > 0 {
						break // the overlap shifts the targets; the properties hold
					}
					if msg := tc.check(c); msg != "" {
						t.Errorf("overlap %d, chunk %d (pages %v) %s: ...%q", ov, c.Index, c.Pages, msg, c.Text[max(0, len(c.Text)-30):])
					}
				}
			}
		})
	}
}

func TestOverlap(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "w%d ", i%10)
	}
	pages := []extract.Page{{Number: 1, Text: b.String()}}
	count := counters["bytes"]
	opts := Options{Budget: 200, Overlap: 40}
	plan, err := Split(context.Background(), pages, count, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pages, count, opts, plan)
	for _, c := range plan.Chunks[1:] {
		ov := c.Text[:c.Overlap]
		if n := count(ov); n < 30 || n > 41 {
			t.Errorf("chunk %d repeats %d tokens, want about 40", c.Index, n)
		}
		if !strings.HasPrefix(ov, "w") {
			t.Errorf("chunk %d overlap starts inside a word: %q", c.Index, ov)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	pages := []extract.Page{{Number: 1, Text: "some text"}}
	huge := func(s string) int {
		if strings.Contains(s, "X") {
			return 1000
		}
		return len(s)
	}
	tests := []struct {
		name  string
		pages []extract.Page
		count Counter
		opts  Options
		want  string
	}{
		{"no counter", pages, nil, Options{Budget: 100}, "no token counter"},
		{"small budget", pages, ApproxTokens, Options{Budget: 5}, "below the minimum"},
		{"overlap", pages, ApproxTokens, Options{Budget: 100, Overlap: 51}, "overlap of 51"},
		{"negative overlap", pages, ApproxTokens, Options{Budget: 100, Overlap: -1}, "overlap of -1"},
		{"separator", pages, ApproxTokens, Options{Budget: 100, Separator: "--"}, "not whitespace"},
		{"character over budget", []extract.Page{{Number: 1, Text: strings.Repeat("a ", 100)}, {Number: 2, Text: "X"}}, huge, Options{Budget: 100}, "(page 2) takes 1000 tokens for a single character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Split(context.Background(), tc.pages, tc.count, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Split(ctx, referencePages(t, "R-FAQ.txt"), ApproxTokens, Options{Budget: 100}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestBlank(t *testing.T) {
	for _, pages := range [][]extract.Page{nil, {{Number: 1}}, {{Number: 1, Text: " \n "}, {Number: 2, Text: "\t"}}} {
		plan, err := Split(context.Background(), pages, ApproxTokens, Options{Budget: 100})
		if err != nil || len(plan.Chunks) != 0 {
			t.Fatalf("%v: %v, %d chunks", pages, err, len(plan.Chunks))
		}
	}
}

func TestSingleChunk(t *testing.T) {
	pages := referencePages(t, "chromium-zh-llama.txt")
	plan, err := Split(context.Background(), pages, ApproxTokens, Options{Budget: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Chunks) != 1 || plan.Chunks[0].Pages != [2]int{1, len(pages)} || plan.Chunks[0].Text != Join(pages, "") {
		t.Fatalf("%+v", plan.Chunks)
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		window, overhead, maxNew, want int
		err                            string
	}{
		{2048, 100, 256, 2048 - 100 - 256 - 36, ""},
		{131072, 120, 512, 131072 - 120 - 512 - 1326, ""},
		{8192, 0, 0, 8192 - 97, ""},
		{512, 200, 300, 0, "context window too small: 512 tokens − prompt 200 − max new tokens 300 − margin 21 leaves -9 for text"},
		{0, 10, 10, 0, "must be positive"},
		{100, -1, 10, 0, "negative"},
	}
	for _, tc := range tests {
		got, err := Budget(tc.window, tc.overhead, tc.maxNew)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Budget(%d, %d, %d): error %v, want %q", tc.window, tc.overhead, tc.maxNew, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Budget(%d, %d, %d) = %d, %v; want %d", tc.window, tc.overhead, tc.maxNew, got, err, tc.want)
		}
	}
}

func TestApproxTokens(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"the", 1},
		{"summary", 2},
		{"the quick brown fox", 1 + 2 + 2 + 1},
		{"12345", 2},
		{"a, b.", 4},
		{"line\nnext", 3},
		{"a    b", 3},
		{"中文测试", 4},
		{"привет", 3},
		{"e\u0301te\u0301", 1},
	}
	for _, tc := range tests {
		if got := ApproxTokens(tc.text); got != tc.want {
			t.Errorf("ApproxTokens(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}
