package relnotes

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestChangelogFolder reads the restic-format changelog fixture (one file
// per entry, "Kind: title" first line) and groups it by kind; the golden
// file holds the expected rendering.
func TestChangelogFolder(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/changelog/0.18.0/*")
	if err != nil || len(paths) != 8 {
		t.Fatalf("fixture: %v %v", paths, err)
	}
	sort.Strings(paths)
	var all []Entry
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		es := Parse(string(data))
		if len(es) != 1 {
			t.Fatalf("%s: %d entries: %+v", p, len(es), es)
		}
		es[0].Source = filepath.Base(p)
		all = append(all, es...)
	}
	got := Render(all)
	golden := filepath.Join("testdata", "changelog.md.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Render's output reads back as the same entries (digests re-group).
	again := Parse(got)
	if len(again) != len(all) {
		t.Fatalf("re-parse: %d entries, want %d", len(again), len(all))
	}
	kinds := map[string]int{}
	for i := range all {
		kinds[all[i].Kind]++
		kinds[again[i].Kind]--
	}
	for k, n := range kinds {
		if n != 0 {
			t.Errorf("kind %s: %+d entries after re-parsing", k, n)
		}
	}
}

func TestParseFormats(t *testing.T) {
	for _, c := range []struct {
		text string
		want []Entry
	}{
		{"Bugfix: Fix crash <https://example.org/1>\n\nBody text. More.\n\nhttps://example.org/1", []Entry{{Kind: KindFix, Title: "Fix crash"}}},
		{"# Changelog\n\n## [1.2.0]\n\n### Added\n- New export (#12)\n- Dark mode https://x.org/2\n\n### Fixed\n- Typo in help\n\n### Removed\n- Old API\n",
			[]Entry{{Kind: KindFeature, Title: "New export (#12)"}, {Kind: KindFeature, Title: "Dark mode"}, {Kind: KindFix, Title: "Typo in help"}, {Kind: KindBreaking, Title: "Removed: Old API"}}},
		{"Note: this is not a changelog.\nJust text: with colons.", nil},
	} {
		got := Parse(c.text)
		if len(got) != len(c.want) {
			t.Errorf("%q: got %+v", c.text, got)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: entry %d = %+v, want %+v", c.text, i, got[i], c.want[i])
			}
		}
	}
}
