// Package relnotes writes the release-notes style without a model: it
// reads changelog entries as projects write them and groups them by kind.
//
// Two formats are read:
//
//   - one entry per title line "Kind: title" followed by its description,
//     as restic's changelog/ files have ("Bugfix: Fix crash when …");
//   - Keep a Changelog sections, a "## Added" or "### Fixed" heading with
//     "- item" lines under it (also what Render writes, so that summaries
//     of entries can be grouped again in a digest).
//
// Kinds: Security; Breaking (Breaking, Removed, Deprecated, Incompatible);
// Changed (Change, Changed); Feature (Feature, Enhancement, Added, New);
// Fix (Bugfix, Fix, Fixed, Bug). An entry is its title line, never merged
// into the next sentence, and URLs are left out.
package relnotes

import (
	"regexp"
	"strings"
)

// Kinds, in the order Render writes them.
const (
	KindSecurity = "security"
	KindBreaking = "breaking"
	KindChanged  = "changed"
	KindFeature  = "feature"
	KindFix      = "fix"
)

var order = []string{KindSecurity, KindBreaking, KindChanged, KindFeature, KindFix}

// Headings are the section titles Render writes per kind.
var headings = map[string]string{
	KindSecurity: "Security",
	KindBreaking: "Breaking changes",
	KindChanged:  "Changes",
	KindFeature:  "What changed",
	KindFix:      "Fixes",
}

// Entry is one change.
type Entry struct {
	Kind  string
	Title string
	// Source names the file the entry came from (digests), if known.
	Source string
}

// kindOf maps a word of a title line or heading to a kind.
func kindOf(word string) string {
	switch strings.ToLower(strings.TrimSpace(word)) {
	case "security":
		return KindSecurity
	case "breaking", "breaking change", "breaking changes", "removed", "removal", "deprecated", "deprecation", "incompatible":
		return KindBreaking
	case "change", "changed", "changes":
		return KindChanged
	case "feature", "features", "enhancement", "enhancements", "added", "new", "what changed":
		return KindFeature
	case "bugfix", "bugfixes", "fix", "fixes", "fixed", "bug":
		return KindFix
	}
	return ""
}

var (
	titleRE   = regexp.MustCompile(`^([A-Za-z][A-Za-z ]{1,20}?)\s*:\s+(\S.*)$`)
	headingRE = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*$`)
	itemRE    = regexp.MustCompile(`^\s*[-*+]\s+(.+)$`)
	urlRE     = regexp.MustCompile(`<?https?://[^\s)>\]]+>?`)
	citeRE    = regexp.MustCompile(`\s*\[p\. [0-9–-]+\]`)
)

// Parse returns the entries of a text, in order; none when the text is not
// a changelog in either format.
func Parse(text string) []Entry {
	var out []Entry
	section, sectionWord := "", ""
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			section, sectionWord = kindOf(m[1]), m[1]
			continue
		}
		if m := itemRE.FindStringSubmatch(line); m != nil && section != "" {
			if t := clean(m[1]); t != "" && !strings.EqualFold(t, "None.") {
				out = append(out, Entry{Kind: section, Title: qualify(sectionWord, t)})
			}
			continue
		}
		if m := titleRE.FindStringSubmatch(line); m != nil {
			if k := kindOf(m[1]); k != "" {
				if t := clean(m[2]); t != "" {
					out = append(out, Entry{Kind: k, Title: qualify(m[1], t)})
				}
				section = ""
			}
		}
	}
	return out
}

// qualify keeps the word "Deprecated" or "Removed" before a title, where
// the section heading alone would lose it.
func qualify(word, title string) string {
	w := strings.TrimSpace(word)
	switch strings.ToLower(w) {
	case "deprecated", "removed":
		if !strings.HasPrefix(strings.ToLower(title), strings.ToLower(w)) {
			return w + ": " + title
		}
	}
	return title
}

// clean drops URLs and citations from a title and folds its spaces.
func clean(s string) string {
	s = citeRE.ReplaceAllString(urlRE.ReplaceAllString(s, ""), "")
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimRight(s, " (,;:")
}

// Render writes entries grouped by kind, in a fixed order of sections, each
// entry one "- " line (with its source in parentheses when known); kinds
// with no entry are left out.
func Render(entries []Entry) string {
	var b strings.Builder
	for _, k := range order {
		var lines []string
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Kind != k || seen[strings.ToLower(e.Title)] {
				continue
			}
			seen[strings.ToLower(e.Title)] = true
			line := "- " + e.Title
			if e.Source != "" {
				line += " (" + e.Source + ")"
			}
			lines = append(lines, line)
		}
		if len(lines) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("### " + headings[k] + "\n\n" + strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}
