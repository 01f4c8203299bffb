package summarize

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/structured"
)

// TestDocumentSchemaMapReduce: a document that takes map-reduce with a real
// (tiny, random-weight) model under --schema: every chunk's value, every
// merge and the summary are valid against the schema.
func TestDocumentSchemaMapReduce(t *testing.T) {
	s := tinyLLM(t)
	doc := referenceDoc(t, "R-FAQ.txt")
	doc.Pages = doc.Pages[:12]
	for _, name := range []string{"release-notes", "document-brief"} {
		sch, err := structured.Load(filepath.Join("..", "testdata", "schemas", name+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Document(context.Background(), s, doc, Options{ContextWindow: 2048, MaxNewTokens: 100, Schema: sch})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(out.Chunks) < 2 || len(out.Levels) == 0 {
			t.Fatalf("%s: %d chunks, %d levels: no map-reduce", name, len(out.Chunks), len(out.Levels))
		}
		for _, c := range out.Chunks {
			if err := sch.Validate(c.Summary); err != nil {
				t.Errorf("%s chunk %d: %v", name, c.Index, err)
			}
		}
		for i, lv := range out.Levels {
			for _, g := range lv.Groups {
				if err := sch.Validate(g.Summary); err != nil {
					t.Errorf("%s level %d group %d: %v", name, i, g.Index, err)
				}
			}
		}
		if err := sch.Validate(out.Summary); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %d chunks, %d levels, summary %.200s", name, len(out.Chunks), len(out.Levels), out.Summary)
	}
}
