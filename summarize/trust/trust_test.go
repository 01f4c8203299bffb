package trust

import (
	"reflect"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
	sumz "github.com/llsum/llsum/summarize"
)

// TestModelCitationsChecked: a model's citations outside the pages of the
// chunks that fed a summary are dropped with a warning; those inside stay
// and become the points' pages.
func TestModelCitationsChecked(t *testing.T) {
	doc := &extract.Document{}
	for i := 1; i <= 10; i++ {
		doc.Pages = append(doc.Pages, extract.Page{Number: i, Text: "Page text about the Orbital Survey, 2024."})
	}
	out := &sumz.Outcome{
		Summary: "The Orbital Survey ran in 2024 [p. 2]. It found 7 craters [p. 12].",
		Chunks: []sumz.ChunkSummary{
			{Index: 0, Pages: [2]int{1, 5}, Summary: "Survey [p. 2]. Craters [p. 7]."},
			{Index: 1, Pages: [2]int{6, 10}, Summary: "More [p. 6–8]."},
		},
		Levels: []sumz.Level{{Groups: []sumz.Group{{Pages: [2]int{1, 10}, Summary: "All [p. 1–10]."}}}},
	}
	rep := Apply(doc, out, Options{Citations: true})
	if out.Chunks[0].Summary != "Survey [p. 2]. Craters." || out.Chunks[1].Summary != "More [p. 6–8]." {
		t.Errorf("chunks: %q %q", out.Chunks[0].Summary, out.Chunks[1].Summary)
	}
	if out.Summary != "The Orbital Survey ran in 2024 [p. 2]. It found 7 craters." {
		t.Errorf("summary %q", out.Summary)
	}
	if len(rep.Dropped) != 2 || !strings.Contains(rep.Dropped[0], "[p. 7] in part 1 is outside its pages 1–5") {
		t.Errorf("dropped %v", rep.Dropped)
	}
	if len(rep.Citations) != 2 || !reflect.DeepEqual(rep.Citations[0].Pages, [][2]int{{2, 2}}) {
		t.Errorf("citations %+v", rep.Citations)
	}
	// "7" is not in the source: the one faithfulness warning.
	if len(rep.Faithfulness) != 1 || rep.Faithfulness[0].Span != "7" {
		t.Errorf("faithfulness %+v", rep.Faithfulness)
	}
}
