package pipeline

import "testing"

func TestNestHeadings(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		top      int
		want     string
	}{
		{"no headings", "plain text\nmore", 4, "plain text\nmore"},
		{"release notes under a document", "### Fixes\n\n- a\n\n### Security\n\n- b", 4, "#### Fixes\n\n- a\n\n#### Security\n\n- b"},
		{"levels keep their order", "# A\n## B\ntext", 3, "### A\n#### B\ntext"},
		{"already below", "#### Deep", 3, "#### Deep"},
		{"capped at 6", "# A\n###### F", 3, "### A\n###### F"},
		{"code fences left alone", "## Real\n```\n# comment\n```\n~~~~\n# also\n~~~~", 4, "#### Real\n```\n# comment\n```\n~~~~\n# also\n~~~~"},
		{"not headings", "#hashtag\n    # indented code\n #x", 4, "#hashtag\n    # indented code\n #x"},
		{"bare marker", "##\ntext", 4, "####\ntext"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nestHeadings(tc.in, tc.top); got != tc.want {
				t.Fatalf("nestHeadings(%q, %d) = %q, want %q", tc.in, tc.top, got, tc.want)
			}
			if again := nestHeadings(nestHeadings(tc.in, tc.top), tc.top); again != tc.want {
				t.Fatalf("not idempotent: %q", again)
			}
		})
	}
}
