package extractive

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitSentences splits text into sentences, in order, trimmed and
// non-empty. It ends a sentence at:
//   - '.', '!' or '?' (with any closing quotes or brackets) followed by white
//     space, unless the word before the period is a known abbreviation
//     ("e.g.", "Dr.") or a single letter (initials), or the period sits
//     between digits;
//   - '。', '！', '？' (and their half-width forms ｡) whatever follows;
//   - a blank line (paragraph end), and a line that looks like a heading
//     (a Markdown '#' line, or a short line without final punctuation
//     followed by a line break).
//
// Single line breaks inside a paragraph are folded into spaces (PDF text
// breaks lines everywhere), except between CJK characters, where they are
// dropped.
//
// A "sentence" longer than maxSentence bytes (a text without punctuation,
// a 50 MB single line) is cut into pieces at clause marks (";", ":", ",",
// dashes) where it can, else between words, each at most maxSentence bytes,
// so that a summary selects among real-sized pieces instead of truncating
// one giant sentence.
func SplitSentences(text string) []string {
	var out []string
	for _, para := range paragraphs(text) {
		n := len(out)
		out = splitParagraph(para, out)
		for i := n; i < len(out); i++ {
			if len(out[i]) > maxSentence {
				pieces := splitLong(out[i])
				out = append(out[:i], append(pieces, out[i+1:]...)...)
				i += len(pieces) - 1
			}
		}
	}
	return out
}

// maxSentence bounds a sentence, in bytes (about 80 words).
const maxSentence = 480

// splitLong cuts s into pieces of at most maxSentence bytes: after the
// last clause mark in the window's second half, else at its last space,
// else (no space at all) at a rune boundary.
func splitLong(s string) []string {
	var out []string
	for len(s) > maxSentence {
		w := s[:maxSentence]
		cut := -1
		for _, mark := range []string{"; ", ": ", ", ", " — ", " – ", " - "} {
			if k := strings.LastIndex(w, mark); k > maxSentence/2 && k+len(mark)-1 > cut {
				cut = k + len(mark) - 1
			}
		}
		if cut < 0 {
			cut = strings.LastIndexByte(w, ' ')
		}
		if cut <= 0 {
			cut = maxSentence
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			if cut == 0 {
				cut = maxSentence
			}
		}
		if p := strings.TrimSpace(s[:cut]); p != "" {
			out = append(out, p)
		}
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// paragraphs splits at blank lines and around heading-like lines, folding
// the remaining single line breaks.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\f", "\n\n")
	var paras []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			paras = append(paras, s)
		}
		cur.Reset()
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			flush()
			continue
		}
		next := ""
		if i+1 < len(lines) {
			next = strings.TrimSpace(lines[i+1])
		}
		if isHeading(t) || looksLikeTitle(t, cur.String(), next) {
			flush()
			cur.WriteString(strings.TrimSpace(strings.TrimLeft(t, "#")))
			flush()
			continue
		}
		if cur.Len() > 0 {
			prev, _ := utf8.DecodeLastRuneInString(cur.String())
			next, _ := utf8.DecodeRuneInString(t)
			switch {
			case isCJK(prev) || isCJKPunct(prev):
				if !isCJK(next) {
					cur.WriteByte(' ')
				}
			case prev == '-' && unicode.IsLower(next):
				// A word hyphenated at the line end: join it.
				s := cur.String()
				cur.Reset()
				cur.WriteString(s[:len(s)-1])
			default:
				cur.WriteByte(' ')
			}
		}
		cur.WriteString(t)
	}
	flush()
	return paras
}

func isHeading(line string) bool {
	return strings.HasPrefix(line, "#")
}

// looksLikeTitle reports whether a line of extracted text is a heading: a
// short line (at most eight words) that starts with a capital letter or a
// digit, has no final punctuation, comes after a finished sentence (or
// nothing), and is followed by a line that starts a new sentence.
func looksLikeTitle(line, before, next string) bool {
	if len(strings.Fields(line)) > 8 || next == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(line)
	last, _ := utf8.DecodeLastRuneInString(line)
	if !(unicode.IsUpper(first) || unicode.IsDigit(first)) || strings.ContainsRune(".!?:;,-", last) || isCJK(last) || isCJKPunct(last) {
		return false
	}
	if b := strings.TrimSpace(before); b != "" {
		end, _ := utf8.DecodeLastRuneInString(b)
		if !strings.ContainsRune(".!?:", end) {
			return false
		}
	}
	n, _ := utf8.DecodeRuneInString(next)
	return unicode.IsUpper(n) || unicode.IsDigit(n)
}

func splitParagraph(p string, out []string) []string {
	start := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		end := i + size
		switch r {
		case '。', '！', '？', '｡':
			end = skipClosers(p, end)
			out = appendSentence(out, p[start:end])
			start = end
			i = end
			continue
		case '.', '!', '?':
			j := skipClosers(p, end)
			if j == len(p) || isSpaceAt(p, j) {
				if r != '.' || !isAbbrevEnd(p[start:i]) {
					out = appendSentence(out, p[start:j])
					start = j
				}
			}
			i = j
			continue
		}
		i = end
	}
	return appendSentence(out, p[start:])
}

func appendSentence(out []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return out
	}
	// Keep stray punctuation with the sentence before it.
	if len(out) > 0 && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		out[len(out)-1] += s
		return out
	}
	return append(out, s)
}

func skipClosers(p string, i int) int {
	for i < len(p) {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch r {
		case '"', '\'', ')', ']', '”', '’', '」', '』', '）':
			i += size
		default:
			return i
		}
	}
	return i
}

func isSpaceAt(p string, i int) bool {
	r, _ := utf8.DecodeRuneInString(p[i:])
	return unicode.IsSpace(r)
}

var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "cf": true, "dr": true, "mr": true,
	"mrs": true, "ms": true, "prof": true, "fig": true, "no": true, "vol": true, "al": true,
	"approx": true, "st": true, "jr": true, "sr": true, "inc": true, "ltd": true, "co": true,
	"sec": true, "ch": true, "pp": true, "eq": true,
}

// isAbbrevEnd reports whether the text before a period ends with an
// abbreviation or an initial, so that the period does not end a sentence.
func isAbbrevEnd(before string) bool {
	k := strings.LastIndexFunc(before, unicode.IsSpace)
	w := strings.ToLower(strings.TrimLeft(before[k+1:], "(\"'"))
	if abbreviations[w] {
		return true
	}
	return utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(before[k+1:])[0])
}
