package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/extractive"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type observerFunc func(Event)

func (f observerFunc) Event(e Event) { f(e) }

// A file that vanishes between the walk and its turn fails alone.
func TestVanishingFile(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFiles(t, in, map[string]string{
		"a.txt": "First document. It has sentences.",
		"b.txt": "Second document. It vanishes.",
		"c.txt": "Third document. It stays.",
	})
	var once sync.Once
	obs := observerFunc(func(e Event) {
		if e.Kind == EventStart && strings.HasSuffix(e.Path, "a.txt") {
			once.Do(func() { os.Remove(filepath.Join(in, "b.txt")) })
		}
	})
	rep, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 1, Observer: obs}, extractive.New(extractive.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range rep.Index.Documents {
		got[d.Source] = d.Status + " " + d.Error
	}
	if !strings.HasPrefix(got["b.txt"], "failed") || !strings.Contains(got["b.txt"], "b.txt") ||
		!strings.Contains(got["b.txt"], "no such file") {
		t.Fatalf("vanished file: %q", got["b.txt"])
	}
	if got["a.txt"] != "ok " || got["c.txt"] != "ok " {
		t.Fatalf("others: %v", got)
	}
}

// panicky panics on one document: the pipeline recovers at the document
// boundary and goes on.
type panicky struct{ *extractive.Summarizer }

func (p panicky) Summarize(ctx context.Context, tasks []infer.Task) ([]infer.Result, error) {
	if strings.Contains(tasks[0].Text, "PANIC") {
		var m map[string]int
		//lint:ignore SA5000 the nil-map write is the point: a real runtime panic
		m["boom"]++
	}
	return p.Summarizer.Summarize(ctx, tasks)
}

func TestPanicRecoveredPerDocument(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFiles(t, in, map[string]string{
		"bad.txt":  "This one will PANIC. Sorry.",
		"good.txt": "A good document. With two sentences.",
	})
	rep, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 2},
		panicky{extractive.New(extractive.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Index.Counts.OK != 1 || rep.Index.Counts.Failed != 1 {
		t.Fatalf("counts %+v", rep.Index.Counts)
	}
	for _, d := range rep.Index.Documents {
		if d.Source == "bad.txt" && !strings.Contains(d.Error, "internal error") {
			t.Fatalf("panic not reported: %q", d.Error)
		}
	}
}

func TestOutputRelStaysInside(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a/b.pdf", "a/b.pdf"},
		{"../../etc/passwd", "etc/passwd"},
		{"/abs/x.txt", "abs/x.txt"},
		{"./a/./b.md", "a/b.md"},
		{"..", "_"},
		{".hidden/x.md", "_hidden/x.md"},
		{"bad\x00name\n.txt", "bad_name_.txt"},
		{"a\\..\\..\\b.txt", "a/b.txt"},
		{"\xff\xfe.txt", "_.txt"},
	}
	for _, tt := range tests {
		if got := outputRel(tt.in); got != tt.want {
			t.Errorf("outputRel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	got := outputRel(long)
	if len(got) > maxComponent || !strings.Contains(got, "~") {
		t.Fatalf("long name kept %d bytes: %q", len(got), got)
	}
	if outputRel(long) != got {
		t.Fatal("long-name mapping is not deterministic")
	}
}

func TestNamerDisambiguates(t *testing.T) {
	var n namer
	got := []string{n.name("a/B.pdf"), n.name("a/b.pdf"), n.name("A/b.pdf"), n.name("c.pdf")}
	want := []string{"a/B.pdf", "a/b.pdf~2", "A/b.pdf~3", "c.pdf"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("names %q, want %q", got, want)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		pats []string
		rel  string
		want bool
	}{
		{[]string{"*.pdf"}, "a/b/c.PDF", true},
		{[]string{"a/*.pdf"}, "a/b/c.pdf", false},
		{[]string{"a/**/*.pdf"}, "a/b/c.pdf", true},
		{[]string{"drafts/**"}, "drafts/x/y.md", true},
		{[]string{"*.md"}, "x.txt", false},
	}
	for _, tt := range tests {
		if got := matches(tt.pats, tt.rel); got != tt.want {
			t.Errorf("matches(%v, %q) = %v", tt.pats, tt.rel, got)
		}
	}
}

func TestMarkdownGolden(t *testing.T) {
	d := &DocumentJSON{
		Source: "reports/q3.pdf", SHA256: strings.Repeat("ab", 32), Pages: 12, Title: "Q3\nReport",
		Backend: "onnx", Model: infer.ModelInfo{Backend: "onnx", Model: "Llama-3.2-1B-Instruct"},
		Summary: "Revenue grew.\n",
		Chunks: []ChunkJSON{
			{Index: 0, Pages: [2]int{1, 6}, Summary: "Sales rose."},
			{Index: 1, Pages: [2]int{7, 7}, Summary: "Costs fell."},
		},
		Warnings: []string{"page 3: no text on page"},
	}
	got := renderMarkdown(d)
	golden := filepath.Join("testdata", "document.md.golden")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("Markdown differs from %s (UPDATE_GOLDEN=1 rewrites it):\n%s", golden, got)
	}
}
