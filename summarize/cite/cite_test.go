package cite

import (
	"reflect"
	"testing"

	"github.com/llsum/llsum/extract"
)

func TestParseFormat(t *testing.T) {
	refs := Parse("A [p. 3]. B [p. 3–5] and [pp. 7-8, 10]. C [page 2].")
	want := [][][2]int{{{3, 3}}, {{3, 5}}, {{7, 8}, {10, 10}}, {{2, 2}}}
	if len(refs) != len(want) {
		t.Fatalf("got %v", refs)
	}
	for i, r := range refs {
		if !reflect.DeepEqual(r.Pages, want[i]) {
			t.Errorf("ref %d: %v, want %v", i, r.Pages, want[i])
		}
	}
	if Format([2]int{3, 5}) != "[p. 3–5]" || Format([2]int{4, 4}) != "[p. 4]" {
		t.Error(Format([2]int{3, 5}), Format([2]int{4, 4}))
	}
}

func TestCheck(t *testing.T) {
	got, msgs := Check("Fees rose [p. 4]. Staff fell [p. 9]. Both [p. 3–6].", [2]int{3, 5}, "part 2")
	if got != "Fees rose [p. 4]. Staff fell. Both." || len(msgs) != 2 {
		t.Fatalf("%q %v", got, msgs)
	}
	if msgs[0] != "citation [p. 9] in part 2 is outside its pages 3–5: dropped" {
		t.Error(msgs[0])
	}
}

func TestLocateAndCite(t *testing.T) {
	pages := []extract.Page{
		{Number: 1, Text: "Introduction.\nThe quick brown fox jumps over the lazy dog."},
		{Number: 2, Text: "A second page about R packages. This sentence continues"},
		{Number: 3, Text: "on the third page. End."},
	}
	l := NewLocator(pages)
	sum := "The quick brown fox jumps over the lazy dog. This sentence continues on the third page."
	got := CiteSentences(sum, []string{"The quick brown fox jumps over the lazy dog.", "This sentence continues on the third page."}, l, [2]int{1, 3})
	want := "The quick brown fox jumps over the lazy dog. [p. 1] This sentence continues on the third page. [p. 2–3]"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if _, ok := l.Locate("The quick brown fox jumps over the lazy dog.", [2]int{2, 3}); ok {
		t.Error("found outside the range")
	}
	pts := Points(got)
	if len(pts) != 2 || !reflect.DeepEqual(pts[1].Pages, [][2]int{{2, 3}}) || pts[0].Text != "The quick brown fox jumps over the lazy dog." {
		t.Errorf("points %+v", pts)
	}
	pts = Points("- Fees rose [p. 4]\n- Staff fell\n\nProse one [p. 2]. Prose two.")
	if len(pts) != 4 || len(pts[1].Pages) != 0 || pts[2].Text != "Prose one." {
		t.Errorf("points %+v", pts)
	}
}
