package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llsum/llsum/extract/cjkfixture"
	"github.com/llsum/llsum/infer/extractive"
)

// A page that no PDF engine decodes (issue 14) is never silent: its
// warning reaches the log (a warning event, which internal/ui prints as
// stderr's "llsum: warning:" line) and the document's JSON, and its garbage does not reach the
// summary.
func TestGarbledPageWarns(t *testing.T) {
	b, err := cjkfixture.Build(cjkfixture.Report(), cjkfixture.ReplacementUnembedded)
	if err != nil {
		t.Fatal(err)
	}
	in, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "report.pdf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logged []string
	obs := observerFunc(func(e Event) {
		if e.Kind == EventWarning {
			mu.Lock()
			logged = append(logged, e.Err.Error())
			mu.Unlock()
		}
	})
	rep, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 1, Observer: obs}, extractive.New(extractive.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Index.Counts.OK != 1 {
		t.Fatalf("counts %+v", rep.Index.Counts)
	}
	for _, page := range []string{"page 2: text looks garbled", "page 3: text looks garbled"} {
		found := false
		for _, l := range logged {
			found = found || strings.Contains(l, "report.pdf: "+page)
		}
		if !found {
			t.Errorf("no log line for %q in %q", page, logged)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(out, "report*.json"))
	if len(matches) != 1 {
		t.Fatalf("document JSON: %v", matches)
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var dj DocumentJSON
	if err := json.Unmarshal(raw, &dj); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(dj.Warnings, "\n"), "page 2: text looks garbled") {
		t.Errorf("document JSON warnings: %q", dj.Warnings)
	}
	if strings.ContainsRune(dj.Summary, '\uFFFD') {
		t.Errorf("garbage in the summary: %q", dj.Summary)
	}
}
