// Package textutil holds small text helpers shared by the CLI, the pipeline
// and the backends.
package textutil

import "strings"

// OneLine folds s onto one line: NUL bytes are dropped and every run of
// white space (line breaks included) becomes one space, with none at either
// end. Errors, titles and log lines go through it so that they never break a
// line-oriented output.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\x00", "")), " ")
}

// OneLineMax is OneLine cut to at most max runes, with "…" appended when
// something was cut.
func OneLineMax(s string, max int) string {
	s = OneLine(s)
	if max < 0 {
		max = 0
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
