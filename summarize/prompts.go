package summarize

import (
	"fmt"
	"sort"
	"strings"
)

// Built-in styles.
const (
	StyleBrief        = "brief"
	StyleDetailed     = "detailed"
	StyleBullets      = "bullets"
	StyleReleaseNotes = "release-notes"
)

// styleTasks says what each style writes about the whole document.
var styleTasks = map[string]string{
	StyleBrief: "Write a brief summary of the document in 3 to 5 sentences: what it is, its main points and its conclusion.",
	StyleDetailed: "Write a detailed summary of the document: its purpose, its main topics in order, " +
		"key facts, figures and conclusions, in several paragraphs.",
	StyleBullets: "Summarize the document as a Markdown bullet list of its key points, one point per line, each line starting with \"- \".",
	StyleReleaseNotes: "Summarize the document as release notes in Markdown with three sections, " +
		"\"### What changed\", \"### Breaking changes\" and \"### Fixes\", each a bullet list with one \"- \" line per item; " +
		"write \"- None.\" under a section with nothing to report.",
}

// Styles returns the names of the built-in styles.
func Styles() []string {
	names := make([]string, 0, len(styleTasks))
	for name := range styleTasks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// prompts holds the instructions of one summary's stages.
type prompts struct {
	whole  string // the whole document in one call
	mapper string // one part of a longer document
	reduce string // merge part summaries into a summary of those parts
	final  string // merge part summaries into the summary of the whole
}

// Kinds of input a summary is made of.
const (
	kindDocument = iota
	kindDigest
)

// newPrompts builds the stage instructions for a style (or a custom task)
// written in the named language.
func newPrompts(kind int, style, custom, langName string) (prompts, error) {
	task := strings.TrimSpace(custom)
	if task == "" {
		if style == "" {
			style = StyleBrief
		}
		t, ok := styleTasks[style]
		if !ok {
			return prompts{}, fmt.Errorf("unknown style %q (want one of %s)", style, strings.Join(Styles(), ", "))
		}
		task = t
	}
	lang := "Write in " + langName + "."
	keepOne, keepMany := "keep its key facts, names, numbers and conclusions", "keeps their key facts, names, numbers and conclusions"
	if style == StyleReleaseNotes && task == styleTasks[StyleReleaseNotes] {
		keepOne = "keep every change, breaking change and fix it mentions, with the names and versions involved"
		keepMany = "keeps every change, breaking change and fix they mention, with the names and versions involved"
	}
	var p prompts
	switch kind {
	case kindDigest:
		const in = "The text consists of the summaries of several documents, each headed by its file name. "
		p.whole = in + "Write one digest of all of them. " + task + " " + lang
		p.final = p.whole
		p.reduce = in + "Merge them into one summary of these documents that names each document and " + keepMany + ". " + lang
		p.mapper = p.reduce
	default:
		const in = "The text consists of summaries of consecutive parts of one document, each headed by its part number and pages. "
		p.whole = task + " " + lang
		p.mapper = "The text is one part of a longer document. Summarize this part so that the summaries of all parts can be combined later: " +
			keepOne + ", and leave out nothing important. " + lang
		p.reduce = in + "Merge them into one summary of these parts that " + keepMany + ". " + lang
		p.final = in + "Combine them into the summary of the whole document. " + task + " " + lang
	}
	return p, nil
}
