// Package textutil holds small text helpers shared by the CLI, the pipeline
// and the backends.
package textutil

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

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

// EscapeControl makes s safe to print on a terminal or in a log line:
// control characters (C0 and C1, DEL), Unicode bidirectional overrides and
// invalid UTF-8 bytes are written as Go-style escapes (\n, \x1b, \u202e),
// so that a file name cannot start a forged log line or send a terminal
// escape sequence. Other text is kept as is.
func EscapeControl(s string) string {
	clean := true
	for _, r := range s {
		if escapeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case escapeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case escapeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func escapeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == utf8.RuneError:
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Plural is one when n is 1, else many ("1 page", "2 pages").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// FirstLine cuts s at its first line break (\n or \r).
func FirstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
