package extract

import (
	"fmt"
	"strings"
	"testing"
)

// lexAll renders a content stream's tokens as "op(args)" lines.
func lexAll(src string) string {
	l := lexer{b: []byte(src)}
	var b strings.Builder
	var args []string
	var render func(o operand) string
	render = func(o operand) string {
		switch o.kind {
		case opNumber:
			return fmt.Sprint(o.num)
		case opName:
			return "/" + string(o.str)
		case opString:
			return fmt.Sprintf("%q", o.str)
		case opArray:
			var e []string
			for _, x := range o.arr {
				e = append(e, render(x))
			}
			return "[" + strings.Join(e, " ") + "]"
		case opDict:
			return "<<>>"
		}
		return "?"
	}
	for {
		o, op, ok := l.next()
		if !ok {
			break
		}
		if op == nil {
			args = append(args, render(o))
			continue
		}
		if string(op) == "BI" {
			for {
				_, iop, ok := l.next()
				if !ok || string(iop) == "ID" {
					break
				}
			}
			l.skipInlineImage()
			fmt.Fprintf(&b, "inline-image\n")
			args = args[:0]
			continue
		}
		fmt.Fprintf(&b, "%s(%s)\n", op, strings.Join(args, " "))
		args = args[:0]
		l.arr = l.arr[:0]
	}
	return b.String()
}

func TestLexer(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"text", "BT /F1 12 Tf 72 720 Td (Hello) Tj ET", "BT()\nTf(/F1 12)\nTd(72 720)\nTj(\"Hello\")\nET()\n"},
		{"numbers", "-.5 +3 4. 0.25 -12.5 cm", "cm(-0.5 3 4 0.25 -12.5)\n"},
		{"escapes", `(a\(b\)c\\d\n\101\7\p) Tj`, "Tj(\"a(b)c\\\\d\\nA\\ap\")\n"},
		{"nested parens", "(a (b) c) Tj", "Tj(\"a (b) c\")\n"},
		{"line continuation", "(ab\\\ncd) Tj", "Tj(\"abcd\")\n"},
		{"hex", "<48 65 6c6C 6f7> Tj", "Tj(\"Hellop\")\n"},
		{"TJ array", "[(A) -120 (B)] TJ", "TJ([\"A\" -120 \"B\"])\n"},
		{"marked content with a string holding \\p",
			"/Span<</ActualText(\\protect >)>>BDC (x) Tj EMC", "BDC(/Span <<>>)\nTj(\"x\")\nEMC()\n"},
		{"inline image", "q BI /W 2 /H 2 /BPC 8 /CS /G ID \x00EI\xff\xfe EI Q (after) Tj",
			"q()\ninline-image\nQ()\nTj(\"after\")\n"},
		{"comment", "% a comment (\n(x) Tj", "Tj(\"x\")\n"},
		{"stray delimiters", ") ] } (x) Tj", "Tj(? ? ? \"x\")\n"},
		{"unterminated string", "(abc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lexAll(tt.src); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// FuzzLexer feeds arbitrary bytes to the content-stream lexer: it must end
// (each call consumes input) and never panic or read out of bounds.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"BT /F1 12 Tf (Hello) Tj ET", "[(A) -120 <4142>] TJ", "(a\\(b\\)\\101\\p) Tj",
		"/Span<</ActualText(\\protect >)>>BDC", "BI /W 2 ID \x00EI EI", "(unterminated", "<4", "-.5.5 --3 cm",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := lexer{b: data}
		for steps := 0; ; steps++ {
			before := l.i
			_, op, ok := l.next()
			if !ok {
				break
			}
			if string(op) == "ID" {
				l.skipInlineImage()
			}
			if l.i <= before || steps > len(data)+1 {
				t.Fatalf("no progress at %d", before)
			}
			l.arr = l.arr[:0]
		}
	})
}
