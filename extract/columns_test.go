package extract

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Generated pages for the column order: a Type1 font with proportional
// widths (so that justified prose is not taken for a typewriter listing),
// 10 pt text placed at exact positions, as TeX places it.

const colSize = 10.0

// colWidth is the advance of code c in the fixtures' font, in 1/1000 em.
func colWidth(c byte) float64 {
	if c == ' ' {
		return 278
	}
	return float64(400 + int(c)%7*50)
}

func colFontDict() string {
	var w strings.Builder
	for c := 32; c <= 126; c++ {
		fmt.Fprintf(&w, " %g", colWidth(byte(c)))
	}
	return "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [" + w.String() + " ] >>"
}

func textWidth(s string) float64 {
	w := 0.0
	for i := 0; i < len(s); i++ {
		w += colWidth(s[i])
	}
	return w * colSize / 1000
}

// colPage is a content stream under construction.
type colPage struct{ b strings.Builder }

// at shows s with its baseline starting at x, y.
func (p *colPage) at(x, y float64, s string) {
	fmt.Fprintf(&p.b, "BT /F1 %g Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET\n", colSize, x, y, s)
}

// justified shows the words of s word by word so that the line spans
// exactly x0 to x1.
func (p *colPage) justified(x0, x1, y float64, s string) {
	words := strings.Fields(s)
	ink := 0.0
	for _, w := range words {
		ink += textWidth(w)
	}
	gap := (x1 - x0 - ink) / float64(len(words)-1)
	x := x0
	for _, w := range words {
		p.at(x, y, w)
		x += textWidth(w) + gap
	}
}

// proseLines fills lines of at most width points from a fixed text,
// each of a few words.
func proseLines(n int, width float64, seed int) []string {
	words := strings.Fields("the quick reader follows each column from top to bottom before " +
		"turning to the next one while the summary keeps whole sentences together and " +
		"never mixes the halves of two unrelated lines into a single confusing line of text")
	var lines []string
	k := seed
	for len(lines) < n {
		line := words[k%len(words)]
		k++
		for textWidth(line+" "+words[k%len(words)]) <= width {
			line += " " + words[k%len(words)]
			k++
		}
		lines = append(lines, line)
	}
	return lines
}

// twoColumnPDF is a page of two justified columns set row by row, with
// line numbers beside the left one: a seed of FuzzExtract.
func twoColumnPDF() []byte {
	var p colPage
	left, right := proseLines(6, 200, 0), proseLines(6, 200, 5)
	for i := range left {
		y := 700 - 12*float64(i)
		p.at(60, y, fmt.Sprint(i+1))
		p.justified(80, 290, y, left[i])
		p.justified(302, 520, y, right[i])
	}
	return buildPDF(colFontDict(), nil, []string{p.b.String()})
}

func extractPage(t *testing.T, content string) string {
	t.Helper()
	path := writeFile(t, "cols.pdf", buildPDF(colFontDict(), nil, []string{content}))
	doc, err := File(context.Background(), path, Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(doc.Text())
}

// TestColumnOrder: parallel columns on shared baselines, however the
// producer writes them, are read column after column; table rows, key and
// description cards and code with line numbers keep their rows.
func TestColumnOrder(t *testing.T) {
	left := proseLines(8, 210, 0)
	right := proseLines(8, 210, 7)
	first, second, third := proseLines(8, 150, 20), proseLines(8, 150, 27), proseLines(8, 150, 13)
	prose := proseLines(6, 220, 3)
	base := 700.0
	y := func(i int) float64 { return base - 12*float64(i) }
	cases := []struct {
		name  string
		page  func(p *colPage)
		want  []string // lines of the text, in this order
		whole bool     // want is the whole text
	}{{
		name: "two columns, one text object per cell, row by row",
		page: func(p *colPage) {
			for i := range left {
				p.at(72, y(i), left[i])
				p.at(302, y(i), right[i])
			}
		},
		want: append(append([]string{}, left...), right...), whole: true,
	}, {
		name: "two columns, each row one text object with Td to the right column",
		page: func(p *colPage) {
			for i := range left {
				fmt.Fprintf(&p.b, "BT /F1 10 Tf 72 %.2f Td (%s) Tj 230 0 Td (%s) Tj ET\n", y(i), left[i], right[i])
			}
		},
		want: append(append([]string{}, left...), right...), whole: true,
	}, {
		name: "two justified columns, right column shorter, under a full-width heading and above a footer",
		page: func(p *colPage) {
			p.at(72, base+30, "A heading across the whole width of the page above both columns")
			for i := range left {
				p.justified(72, 290, y(i), left[i])
				if i < 5 {
					p.justified(302, 520, y(i), right[i])
				}
			}
			p.at(300, 60, "7")
		},
		want: append(append(append([]string{"A heading across the whole width of the page above both columns"},
			left...), right[:5]...), "7"), whole: true,
	}, {
		name: "three columns row by row",
		page: func(p *colPage) {
			for i := range third {
				p.at(72, y(i), first[i])
				p.at(250, y(i), second[i])
				p.at(428, y(i), third[i])
			}
		},
		want: append(append(append([]string{}, first...), second...), third...), whole: true,
	}, {
		name: "line numbers beside justified prose are read apart",
		page: func(p *colPage) {
			for i, l := range prose {
				p.at(60, y(i), fmt.Sprint(i+1))
				if i == len(prose)-1 {
					p.at(80, y(i), l)
					continue
				}
				p.justified(80, 300, y(i), l)
			}
		},
		want: append([]string{"1", "2", "3", "4", "5", "6"}, prose...), whole: true,
	}, {
		name: "line numbers beside a ragged code listing stay on their lines",
		page: func(p *colPage) {
			code := []string{"for i, line := range lines {", "if line == target {", "return i, true", "}", "count = count + 1", "}"}
			for i, l := range code {
				p.at(60, y(i), fmt.Sprint(i+1))
				p.at(80+10*float64(strings.Count(l, "{")), y(i), l)
			}
		},
		want: []string{"1 for i, line := range lines {", "2 if line == target {", "3 return i, true", "5 count = count + 1"},
	}, {
		name: "key and description card keeps its rows",
		page: func(p *colPage) {
			rows := [][2]string{{"C-k", "kill to the end of the line"}, {"C-y", "yank the most recently killed text"},
				{"M-d", "kill to the end of the current word"}, {"M-y", "rotate the kill ring and yank the new top"},
				{"C-x u", "undo the last change made to the text"}}
			for i, r := range rows {
				p.at(72, y(i), r[0])
				p.at(140, y(i), r[1])
			}
		},
		want: []string{"C-k kill to the end of the line", "M-y rotate the kill ring and yank the new top"},
	}, {
		name: "a table of short cells keeps its rows",
		page: func(p *colPage) {
			for i := 0; i < 8; i++ {
				p.at(72, y(i), fmt.Sprintf("P-%d", 100+i))
				p.at(150, y(i), "Sensor heavy duty")
				p.at(330, y(i), fmt.Sprint(17*i+3))
				p.at(420, y(i), fmt.Sprintf("%d.%02d", 40*i+9, 7*i%100))
			}
		},
		want: []string{"P-100 Sensor heavy duty 3 9.00", "P-107 Sensor heavy duty 122 289.49"},
	}, {
		name: "text outside the page box is left out",
		page: func(p *colPage) {
			p.at(72, 700, "on the page")
			p.at(1500, 700, "beyond the right edge")
			p.at(72, -300, "below the bottom")
		},
		want: []string{"on the page"}, whole: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p colPage
			tc.page(&p)
			got := extractPage(t, p.b.String())
			if tc.whole {
				if want := strings.Join(tc.want, "\n"); got != want {
					t.Fatalf("got\n%s\n\nwant\n%s", got, want)
				}
				return
			}
			lines := strings.Split(got, "\n")
			at := -1
			for _, w := range tc.want {
				k := indexOf(lines, w)
				if k < 0 {
					t.Fatalf("line %q missing from\n%s", w, got)
				}
				if k <= at {
					t.Fatalf("line %q out of order in\n%s", w, got)
				}
				at = k
			}
		})
	}
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// TestColumnOrderCorpus: the eledpar parallel text of the corpus reads the
// Russian column, then the Hebrew one, each line whole, with its line
// numbers apart; its reference-card tables keep their rows.
func TestColumnOrderCorpus(t *testing.T) {
	text := func(name string) string {
		doc, err := File(context.Background(), corpusPDF(t, name), Options{PDFEngine: EngineLedongthuc})
		if err != nil {
			t.Fatal(err)
		}
		return doc.Text()
	}
	got := text("eledpar-columns-different-languages.pdf")
	order := []string{
		"Трактат Второй",
		"О краеугольных [принципах] Торы, имеется\nввиду, которые [есть] основы и столпы",
		"общем, [Б-же] упаси.",
		"המאמר השני",
		"בפנות התוריות, ר״ל שהם יסודות ועמודים אשר בית\nאלהים נכון עליהם, ובמציאותם יציר מציאות התורה מסדרת",
		"חלילה.",
	}
	at := -1
	for _, w := range order {
		k := strings.Index(got, w)
		if k <= at {
			t.Fatalf("%q missing or out of order in\n%s", w, got)
		}
		at = k
	}
	if n := strings.Count(got, "Трактат Второй"); n != 1 {
		t.Errorf("the heading drawn off the page came out: %d times", n)
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.ContainsAny(l, "абвгдеё") && strings.ContainsAny(l, "אבגדהוזחטיכלמנסעפצקרשת") {
			t.Errorf("line mixes the two columns: %q", l)
		}
	}
	card := text("octave-refcard-a4.pdf")
	for _, row := range []string{"C-k kill to the end of the line", "doc command search for command in Octave manual"} {
		if !strings.Contains(card, row+"\n") {
			t.Errorf("row %q split in the reference card", row)
		}
	}
}

// TestTwoColumnSeed: the fuzz seed is read column by column, its line
// numbers apart.
func TestTwoColumnSeed(t *testing.T) {
	doc, err := File(context.Background(), writeFile(t, "seed.pdf", twoColumnPDF()), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	left, right := proseLines(6, 200, 0), proseLines(6, 200, 5)
	want := "1\n2\n3\n4\n5\n6\n" + strings.Join(left, "\n") + "\n" + strings.Join(right, "\n")
	if got := strings.TrimSpace(doc.Text()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCountWords: the one word count of margin notes, prose lines and
// columns: runs between spaces and word breaks that hold a letter or
// digit, inside the window.
func TestCountWords(t *testing.T) {
	// line lays out s at 10 pt from x 0, one glyph per byte, 5 pt each;
	// '_' is a 2 pt gap (a word gap), ' ' a space glyph.
	line := func(s string) []glyph {
		var gl []glyph
		x := 0.0
		for _, r := range s {
			switch r {
			case '_':
				x += 2
			case ' ':
				gl = append(gl, glyph{s: " ", x: x, w: 2.5, size: 10, space: true})
				x += 2.5
			default:
				gl = append(gl, glyph{s: string(r), x: x, w: 5, size: 10})
				x += 5
			}
		}
		return gl
	}
	inf := math.Inf(1)
	for _, c := range []struct {
		name    string
		gl      []glyph
		lo, hi  float64
		n, dots int
	}{
		{"prose", line("the quick_brown fox."), -inf, inf, 4, 1},
		{"leader dots", line("Syntax . . . . . 5"), -inf, inf, 2, 5},
		{"code", line(`\def\tab@x{%_\relax}`), -inf, inf, 2, 0},
		{"angle brackets", line("⟨wd⟩ rule"), -inf, inf, 2, 0},
		{"dashes and bullets", line("• item — more"), -inf, inf, 2, 0},
		{"kerned, no gap", line("word"), -inf, inf, 1, 0},
		{"window", line("one two three four"), 20, 60, 2, 0},
		{"footnote mark", append([]glyph{{s: "4", x: -3, w: 3, y: 3.5, size: 6}}, line("This")...), -inf, inf, 2, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, dots := countWords(c.gl, c.lo, c.hi)
			if n != c.n || dots != c.dots {
				t.Errorf("got %d words, %d dots; want %d, %d", n, dots, c.n, c.dots)
			}
		})
	}
}
