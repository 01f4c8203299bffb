package summarize

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/corpustest"
	"github.com/llsum/llsum/internal/errclass"
)

// referenceDoc reads a pdftotext reference of the shared corpus.
func referenceDoc(t testing.TB, name string) *extract.Document {
	t.Helper()
	return corpustest.Reference(t, name)
}

// taggedDoc is a document of pages whose sentences carry the tags #10·p to
// #10·p+9 on page p.
func taggedDoc(pages int) *extract.Document {
	doc := &extract.Document{Path: "tagged.txt", Format: "text"}
	for p := 1; p <= pages; p++ {
		var b strings.Builder
		for k := range 10 {
			fmt.Fprintf(&b, "Sentence number #%d says something about the topic at hand. ", p*10+k)
			if k == 4 {
				b.WriteString("\n\n")
			}
		}
		doc.Pages = append(doc.Pages, extract.Page{Number: p, Text: b.String()})
	}
	return doc
}

// checkOutcome checks the tree's shape: the levels cover their inputs in
// order, the pages are those of the inputs, the last level has one group
// whose summary is the outcome's, and every task fitted the window.
func checkOutcome(t *testing.T, f *recorder, out *Outcome, nPages int) {
	t.Helper()
	if out.Summary == "" {
		t.Fatal("empty summary")
	}
	for i, c := range out.Chunks {
		if c.Index != i {
			t.Fatalf("chunk %d has index %d", i, c.Index)
		}
		if nPages > 0 && i > 0 && c.Pages[0] != out.Chunks[i-1].Pages[1] && c.Pages[0] != out.Chunks[i-1].Pages[1]+1 {
			t.Fatalf("chunk %d pages %v after %v", i, c.Pages, out.Chunks[i-1].Pages)
		}
	}
	if nPages > 0 && (out.Chunks[0].Pages[0] != 1 || out.Chunks[len(out.Chunks)-1].Pages[1] != nPages) {
		t.Fatalf("chunks cover pages %v..%v, want 1..%d", out.Chunks[0].Pages, out.Chunks[len(out.Chunks)-1].Pages, nPages)
	}
	below := len(out.Chunks)
	belowPages := func(i int) [2]int { return out.Chunks[i].Pages }
	for l, lv := range out.Levels {
		if len(lv.Groups) == 0 {
			t.Fatalf("level %d is empty", l)
		}
		for i, g := range lv.Groups {
			want := 0
			if i > 0 {
				prev := lv.Groups[i-1].Inputs[1]
				want = prev + 1
				if g.Inputs[0] == prev {
					want = prev // a split input
				}
			}
			if g.Inputs[0] != want || g.Inputs[1] < g.Inputs[0] {
				t.Fatalf("level %d group %d inputs %v, want from %d", l, i, g.Inputs, want)
			}
			if nPages > 0 && g.Pages != [2]int{belowPages(g.Inputs[0])[0], belowPages(g.Inputs[1])[1]} {
				t.Fatalf("level %d group %d pages %v", l, i, g.Pages)
			}
		}
		if last := lv.Groups[len(lv.Groups)-1].Inputs[1]; last != below-1 {
			t.Fatalf("level %d covers inputs up to %d of %d", l, last, below)
		}
		below = len(lv.Groups)
		groups := lv.Groups
		belowPages = func(i int) [2]int { return groups[i].Pages }
	}
	if n := len(out.Levels); n > 0 {
		top := out.Levels[n-1].Groups
		if len(top) != 1 || top[0].Summary != out.Summary {
			t.Fatalf("top level has %d groups", len(top))
		}
	} else if len(out.Chunks) != 1 || out.Chunks[0].Summary != out.Summary {
		t.Fatalf("no reduce levels for %d chunks", len(out.Chunks))
	}
	calls := 0
	for _, c := range f.calls {
		calls += len(c)
	}
	if calls != out.Calls {
		t.Fatalf("%d calls recorded, summarizer saw %d", out.Calls, calls)
	}
	want := len(out.Levels) + 1 // the map, then one call per level
	if nPages == 0 {
		want = len(out.Levels) // a digest has no map
	}
	if len(out.Levels) > 0 && len(f.calls) != want {
		t.Fatalf("%d batched calls for %d levels, want one per stage", len(f.calls), len(out.Levels))
	}
}

func TestDocumentTreeKeepsEveryChunk(t *testing.T) {
	doc := taggedDoc(300)
	for _, ov := range []int{0, 40} {
		t.Run(fmt.Sprint("overlap ", ov), func(t *testing.T) {
			f := tagSummarizer(512)
			out, err := Document(context.Background(), f, doc, Options{MaxNewTokens: 48, Overlap: ov})
			if err != nil {
				t.Fatal(err)
			}
			checkOutcome(t, f, out, 300)
			if out.Summary != "#10-#3009" {
				t.Fatalf("summary %q: chunks were lost", out.Summary)
			}
			if len(out.Levels) < 2 {
				t.Fatalf("%d chunks reduced in %d levels; want a deeper tree", len(out.Chunks), len(out.Levels))
			}
			t.Logf("%d chunks, levels %d, %d calls", len(out.Chunks), len(out.Levels), out.Calls)
		})
	}
}

func TestDocumentMaxBatch(t *testing.T) {
	f := tagSummarizer(512)
	out, err := Document(context.Background(), f, taggedDoc(100), Options{MaxNewTokens: 48, MaxBatch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary != "#10-#1009" {
		t.Fatalf("summary %q", out.Summary)
	}
	total := 0
	for _, c := range f.calls {
		if len(c) > 7 {
			t.Fatalf("a call of %d tasks", len(c))
		}
		total += len(c)
	}
	if total != out.Calls || len(f.calls) < out.Calls/7 {
		t.Fatalf("%d tasks in %d calls, outcome says %d", total, len(f.calls), out.Calls)
	}
}

func TestDocumentCorpus(t *testing.T) {
	for _, name := range []string{"R-intro.txt", "ctex.txt"} {
		doc := referenceDoc(t, name)
		f := record(extractive.New(extractive.Options{}), 2048)
		out, err := Document(context.Background(), f, doc, Options{Style: StyleBullets, MaxNewTokens: 256})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcome(t, f, out, len(doc.Pages))
		for _, c := range f.calls[0] {
			if c.Instruction != f.calls[0][0].Instruction || !strings.Contains(c.Instruction, "one part of a longer document") {
				t.Fatalf("map instruction %q", c.Instruction)
			}
		}
		last := f.calls[len(f.calls)-1][0].Instruction
		if !strings.Contains(last, styleTasks[StyleBullets]) {
			t.Fatalf("final instruction %q lacks the style", last)
		}
		t.Logf("%s: %d pages, %d chunks, %d levels, lang %s", name, len(doc.Pages), len(out.Chunks), len(out.Levels), out.Lang)
	}
}

func TestDocumentOneCall(t *testing.T) {
	doc := taggedDoc(3)
	for _, window := range []int{4096, 0} {
		f := tagSummarizer(window)
		out, err := Document(context.Background(), f, doc, Options{Style: StyleReleaseNotes, Lang: "de"})
		if err != nil {
			t.Fatal(err)
		}
		checkOutcome(t, f, out, 3)
		if len(f.calls) != 1 || len(f.calls[0]) != 1 || out.Summary != "#10-#39" || len(out.Levels) != 0 {
			t.Fatalf("window %d: %d calls, summary %q, %d levels", window, len(f.calls), out.Summary, len(out.Levels))
		}
		task := f.calls[0][0]
		if task.Text != doc.Text() || !strings.Contains(task.Instruction, "### Breaking changes") || !strings.HasSuffix(task.Instruction, "Write in German.") {
			t.Fatalf("task %+v", task)
		}
		if out.Lang != "de" || out.Style != StyleReleaseNotes || out.PromptTokens == 0 {
			t.Fatalf("outcome %+v", out)
		}
	}
}

func TestDocumentNoProgress(t *testing.T) {
	f := echoSummarizer(512)
	_, err := Document(context.Background(), f, taggedDoc(40), Options{MaxNewTokens: 64})
	if !errors.Is(err, ErrNoProgress) || !strings.HasPrefix(err.Error(), "reduce level 1") {
		t.Fatalf("error %v, want ErrNoProgress", err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d batched calls before giving up", len(f.calls))
	}
}

// TestReduceCallNoProgress: the guard runs after each reduce call, not
// after a whole level: with batches of 2, a summarizer whose answers are
// as long as its input (a server ignoring max_tokens) is stopped after the
// map calls and one reduce call.
func TestReduceCallNoProgress(t *testing.T) {
	f := echoSummarizer(512)
	doc := taggedDoc(40)
	_, err := Document(context.Background(), f, doc, Options{MaxNewTokens: 64, MaxBatch: 2})
	if !errors.Is(err, ErrNoProgress) || !strings.Contains(err.Error(), "more than max-new-tokens 64") {
		t.Fatalf("error %v, want ErrNoProgress per call", err)
	}
	mapCalls := 0
	for _, c := range f.calls {
		if len(c) > 0 && c[0].Instruction == f.calls[0][0].Instruction {
			mapCalls++
		}
	}
	if reduceCalls := len(f.calls) - mapCalls; reduceCalls != 1 {
		t.Fatalf("%d reduce calls before giving up, want 1 (of %d map calls)", reduceCalls, mapCalls)
	}
}

func TestDocumentErrors(t *testing.T) {
	doc := taggedDoc(2)
	tests := []struct {
		name  string
		doc   *extract.Document
		opts  Options
		want  string
		class errclass.Class
	}{
		{"window too small", doc, Options{ContextWindow: 300, MaxNewTokens: 256}, "context window too small", errclass.Fatal},
		{"style", doc, Options{Style: "haiku"}, `unknown style "haiku"`, errclass.Fatal},
		{"lang", doc, Options{Lang: "x1"}, `unknown language "x1"`, errclass.Fatal},
		{"blank", &extract.Document{Path: "blank.txt", Pages: []extract.Page{{Number: 1, Text: " "}}}, Options{}, "no text", errclass.Skip},
		{"negative", doc, Options{MaxNewTokens: -1}, "negative", errclass.Fatal},
		{"overlap", doc, Options{ContextWindow: 1024, MaxNewTokens: 256, Overlap: 400}, "chunk overlap of 400 tokens is more than half the budget", errclass.Fatal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Document(context.Background(), tagSummarizer(4096), tc.doc, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errclass.Kind(err) != tc.class {
				t.Fatalf("error %v (%v), want %q (%v)", err, errclass.Kind(err), tc.want, tc.class)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Document(ctx, tagSummarizer(512), taggedDoc(50), Options{MaxNewTokens: 48}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestDigest(t *testing.T) {
	var docs []DocSummary
	for i := range 200 {
		docs = append(docs, DocSummary{Path: fmt.Sprintf("notes/v%d.md", i), Summary: fmt.Sprintf("Release #%d adds a feature and fixes a bug in the parser.", i)})
	}
	f := tagSummarizer(400)
	out, err := Digest(context.Background(), f, docs, Options{Style: StyleReleaseNotes, MaxNewTokens: 40})
	if err != nil {
		t.Fatal(err)
	}
	checkOutcome(t, f, out, 0)
	if out.Summary != "#0-#199" || len(out.Levels) < 2 || len(out.Chunks) != 200 || out.Chunks[7].Path != "notes/v7.md" {
		t.Fatalf("digest %q in %d levels", out.Summary, len(out.Levels))
	}
	if !strings.Contains(f.calls[0][0].Text, "## notes/v0.md\n\nRelease #0") || !strings.Contains(f.calls[1][0].Text, "## Documents 1 to ") {
		t.Fatalf("digest inputs:\n%s\n%s", f.calls[0][0].Text, f.calls[1][0].Text)
	}
	if _, err := Digest(context.Background(), f, nil, Options{}); err == nil {
		t.Fatal("digest of nothing")
	}
	small := tagSummarizer(4096)
	out, err = Digest(context.Background(), small, docs[:3], Options{})
	if err != nil || out.Summary != "#0-#2" || len(small.calls) != 1 || len(out.Levels) != 1 {
		t.Fatalf("small digest: %v %+v", err, out)
	}
}

// The fixture must fail a prompt that does not fit, or the tests above
// prove nothing about the budget.
func TestFixtureEnforcesWindow(t *testing.T) {
	f := tagSummarizer(100)
	_, err := f.Summarize(context.Background(), []infer.Task{{Text: strings.Repeat("word ", 200), MaxNewTokens: 10}})
	if err == nil {
		t.Fatal("fixture accepted a prompt larger than its window")
	}
}

func TestDetectLanguage(t *testing.T) {
	corpus := map[string]string{
		"R-intro.txt": "en", "ctex.txt": "zh", "ctex-faq.txt": "zh", "zhlipsum.txt": "zh", "chromium-zh-llama.txt": "zh",
		"polyglossia-example-japanese.txt": "ja", "babel-russianb.txt": "en", "c90-thai.txt": "en",
	}
	for name, want := range corpus {
		if got := DetectLanguage(referenceDoc(t, name).Text()); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	texts := []struct{ text, want string }{
		{"Die Katze ist nicht auf dem Tisch, und das ist gut so. Der Hund schläft.", "de"},
		{"Le chat est dans la maison et il ne veut pas sortir pour une promenade.", "fr"},
		{"El perro y los gatos están en la casa por una razón muy simple.", "es"},
		{"Кошка сидит на столе и смотрит в окно, а собака спит.", "ru"},
		{"안녕하세요. 이 문서는 한국어로 작성되었습니다.", "ko"},
		{"Η γάτα κάθεται στο τραπέζι.", "el"},
		{"", "en"},
		{"12345 !!!", "en"},
	}
	for _, tc := range texts {
		if got := DetectLanguage(tc.text); got != tc.want {
			t.Errorf("DetectLanguage(%q) = %s, want %s", tc.text, got, tc.want)
		}
	}
}

func TestResolveLang(t *testing.T) {
	tests := []struct{ lang, code, name, err string }{
		{"auto", "zh", "Chinese", ""},
		{"", "zh", "Chinese", ""},
		{"EN", "en", "English", ""},
		{"pt-BR", "pt-br", "Portuguese (pt-BR)", ""},
		{"zh-TW", "zh-tw", "Traditional Chinese", ""},
		{"German", "de", "German", ""},
		{"Swahili", "Swahili", "Swahili", ""},
		{"x1", "", "", "unknown language"},
		{"xx-YY", "", "", "unknown language"},
	}
	for _, tc := range tests {
		code, name, err := resolveLang(tc.lang, "这是中文文本。")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v", tc.lang, err)
			}
			continue
		}
		if err != nil || code != tc.code || name != tc.name {
			t.Errorf("resolveLang(%q) = %q, %q, %v; want %q, %q", tc.lang, code, name, err, tc.code, tc.name)
		}
	}
}

func TestPrompts(t *testing.T) {
	for _, style := range Styles() {
		p, err := newPrompts(kindDocument, style, "", "English")
		if err != nil {
			t.Fatal(err)
		}
		for stage, ins := range map[string]string{"whole": p.whole, "map": p.mapper, "reduce": p.reduce, "final": p.final} {
			if !strings.HasSuffix(ins, "Write in English.") {
				t.Errorf("%s %s: %q", style, stage, ins)
			}
		}
		if !strings.Contains(p.whole, styleTasks[style]) || !strings.Contains(p.final, styleTasks[style]) || strings.Contains(p.mapper, styleTasks[style]) {
			t.Errorf("%s: the style's task belongs in the whole and final stages only", style)
		}
	}
	p, _ := newPrompts(kindDocument, StyleReleaseNotes, "", "English")
	if !strings.Contains(p.mapper, "every change, breaking change and fix") {
		t.Errorf("release-notes map stage: %q", p.mapper)
	}
	p, _ = newPrompts(kindDocument, "", "List the people named in the text.", "French")
	if !strings.HasPrefix(p.whole, "List the people named in the text.") || !strings.Contains(p.final, "List the people") {
		t.Errorf("custom prompt: %+v", p)
	}
	p, _ = newPrompts(kindDigest, StyleBrief, "", "English")
	if !strings.Contains(p.final, "summaries of several documents") {
		t.Errorf("digest: %+v", p)
	}
}

// TestHugeDocumentExtractive runs the 2,415-page reference manual through
// the extractive backend with a 2048-token window: hundreds of chunks and a
// multi-level reduce.
func TestHugeDocumentExtractive(t *testing.T) {
	if testing.Short() {
		t.Skip("large document")
	}
	doc := referenceDoc(t, "R-fullrefman.txt")
	f := record(extractive.New(extractive.Options{}), 2048) // every prompt must fit 2048 tokens
	out, err := Document(context.Background(), f, doc, Options{ContextWindow: 2048, MaxNewTokens: 256, Style: StyleDetailed})
	if err != nil {
		t.Fatal(err)
	}
	checkOutcome(t, f, out, len(doc.Pages))
	if len(out.Chunks) < 500 || len(out.Levels) < 2 {
		t.Fatalf("%d chunks, %d levels", len(out.Chunks), len(out.Levels))
	}
	var sizes []int
	for _, lv := range out.Levels {
		sizes = append(sizes, len(lv.Groups))
	}
	t.Logf("%d pages: %d chunks, reduce levels of %v groups, %d calls; summary %d bytes", len(doc.Pages), len(out.Chunks), sizes, out.Calls, len(out.Summary))
}
