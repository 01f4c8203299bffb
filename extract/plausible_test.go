package extract

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract/cjkfixture"
	"github.com/llsum/llsum/extract/textmetric"
)

// TestCheckText has a case per garbage class the text checks know, and the
// plain texts they must let through.
func TestCheckText(t *testing.T) {
	zh := "太阳能是地球上最丰富的可再生能源。光伏电池把阳光直接转换为电能。"
	tests := []struct {
		name     string
		raw      string
		cjk      bool // the document is CJK so far
		wantFail bool
	}{
		{"plain English", "The quick brown fox jumps over the lazy dog.", false, false},
		{"plain Chinese", zh, false, false},
		{"replacement characters", "第二章 \uFFFD\uFFFD\uFFFD\uFFFD\n" + zh, false, true},
		{"a run of replacement characters", strings.Repeat("Plain English text. ", 20) + "\uFFFD\uFFFD\uFFFD", false, true},
		{"one stray replacement", "A bullet \uFFFD in text", false, false},
		{"TeX ligatures without a mapping in CJK text", strings.Repeat(zh, 12) + " pdflatex (\uFFFDle simsun) con\uFFFDg \uFFFDgure ps\uFFFDg", false, false},
		{"icons between spaces in CJK text", strings.Repeat(zh, 20) + " MS Word \uf0fc \uf0fc \uf0fc\nTeX \uf0fc", false, false},
		{"a lost CJK character", "第二\uFFFD章 正文\uFFFD内容 \uFFFD和", false, true},
		{"math arrows in CJK text", zh + " n>0 ←−−− B −−−→ T", false, false},
		{"scattered math delimiters", strings.Repeat("Plain English text. ", 60) + "\uFFFD\nm\n\uFFFD\uFFFD\nn\n\uFFFD", false, false},
		{"private use", "icons \ue001\ue002\ue003\ue004 here " + zh, false, true},
		{"C0 controls", "ab\x01\x03\x04cd efg", false, true},
		{"C1 controls", "ab\u0081\u008d\u009dcd", false, true},
		{"dense replacement characters", "ab\uFFFDcd\uFFFDef\uFFFD", false, true},
		{"Latin-1 soup in CJK text", "{,N„zà |û~ß~Äb\n" + zh, false, true},
		{"Latin-1 soup, CJK only on other pages", "{,N„zà |û~ß~Äb ‘Ð‹LN", true, true},
		{"combining marks on symbols", zh + " ~\u0303\u0301|\u0300\u0308", false, true},
		{"quoted Latin words in CJK text", zh + " (Ångström) “naïve” Gödel·Escher Müller教授", false, false},
		{"Latin-1 soup without CJK is not judged", "{,N„zà |û~ß~Äb", false, false},
		{"accented words in CJK text", zh + " café Müller naïve élève à l'école", false, false},
		{"French text", "L'élève a été reçu à l'école après la fête.", false, false},
		{"Arabic with vowel marks", "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ", false, false},
		{"Vietnamese", "Tiếng Việt có dấu thanh điệu rõ ràng", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkText(tt.raw, cleanPage(tt.raw), tt.cjk)
			if c.failed() != tt.wantFail {
				t.Errorf("failed = %v (%s), want %v", c.failed(), c.reason(), tt.wantFail)
			}
			if c.failed() && c.reason() == "" {
				t.Error("failed without a reason")
			}
		})
	}
}

// TestGlyphCheck has a case per class the ledongthuc engine's glyph
// statistics know.
func TestGlyphCheck(t *testing.T) {
	tests := []struct {
		name string
		s    glyphStats
		want string // a word of the reason; "" for none
	}{
		{"fine", glyphStats{codes: 500, runes: 505}, ""},
		{"ligatures", glyphStats{codes: 100, runes: 130}, ""},
		{"no Unicode mapping", glyphStats{codes: 500, runes: 497, undecoded: 3, badFont: "F1: Identity-H without a usable ToUnicode map"}, "Identity-H"},
		{"codes read as bytes", glyphStats{codes: 100, runes: 300}, "decoded to 300"},
		{"codes mapped to nothing", glyphStats{codes: 100, runes: 40, empty: 60}, "decoded to 40"},
		{"a few codes mapped to nothing", glyphStats{codes: 60, runes: 50, empty: 10}, "to nothing"},
		{"too few glyphs to judge a ratio", glyphStats{codes: 10, runes: 30}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.check()
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("check() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDropGarbage(t *testing.T) {
	text := "第二章 {,N„zà |û~ß~Äb\n正文\uFFFD\uFFFD内容 café"
	c := checkText(text, text, false)
	got, n := dropGarbage(text, c)
	if want := "第二章\n正文内容 café"; got != want || n != 15 {
		t.Errorf("dropGarbage = %q, %d; want %q, 15", got, n, want)
	}
}

// cjkFixture writes the issue-14 report with the given defect.
func cjkFixture(t *testing.T, d cjkfixture.Defect) string {
	t.Helper()
	b, err := cjkfixture.Build(cjkfixture.Report(), d)
	if errors.Is(err, cjkfixture.ErrNoFont) {
		t.Fatalf("%v (make deps installs it)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, d.String()+".pdf", b)
}

// TestCJKMojibake reproduces issue 14: Chinese set in a CID font whose
// ToUnicode map is missing or wrong. Where the embedded TrueType program
// says which character each glyph is, ledongthuc reads it (U+FFFD
// mappings too, which PDFium prints); otherwise auto must get the Chinese
// right via PDFium where PDFium can, ledongthuc alone must flag the pages
// and keep the garbage out, and a page no engine can decode must be
// flagged under every engine.
func TestCJKMojibake(t *testing.T) {
	pages := cjkfixture.Report()
	want := strings.Split(cjkfixture.Text(pages), "\f")
	ex := map[string]*Extractor{}
	for _, e := range []string{EngineAuto, EngineLedongthuc, EnginePDFium} {
		ex[e] = New(Options{PDFEngine: e, Workers: 1})
		defer ex[e].Close()
	}
	tests := []struct {
		defect cjkfixture.Defect
		engine string
		// garbled are the pages that must be marked Garbled; the others
		// must keep ≥ 99.5% of the reference's CJK characters.
		garbled []int
		// fallback are the pages auto must read with PDFium.
		fallback []int
	}{
		{cjkfixture.Intact, EngineAuto, nil, nil},
		{cjkfixture.Intact, EngineLedongthuc, nil, nil},
		// The embedded TrueType program's cmap gives the text where the
		// ToUnicode map has none, U+FFFD or a private-use character.
		{cjkfixture.NoToUnicode, EngineAuto, nil, nil},
		{cjkfixture.NoToUnicode, EngineLedongthuc, nil, nil},
		{cjkfixture.NoToUnicode, EnginePDFium, nil, nil},
		{cjkfixture.EmptyToUnicode, EngineAuto, nil, nil},
		{cjkfixture.EmptyToUnicode, EngineLedongthuc, nil, nil},
		{cjkfixture.ReplacementToUnicode, EngineAuto, nil, nil},
		{cjkfixture.ReplacementToUnicode, EngineLedongthuc, nil, nil},
		{cjkfixture.ReplacementToUnicode, EnginePDFium, []int{2, 3}, nil},
		// Without the program: PDFium reads the CIDSystemInfo.
		{cjkfixture.NoToUnicodeUnembedded, EngineAuto, nil, []int{2, 3}},
		{cjkfixture.NoToUnicodeUnembedded, EngineLedongthuc, []int{2, 3}, nil},
		{cjkfixture.PUAToUnicode, EngineAuto, nil, nil},
		{cjkfixture.PUAToUnicode, EngineLedongthuc, nil, nil},
		{cjkfixture.PUAUnembedded, EngineAuto, nil, []int{2, 3}},
		{cjkfixture.PUAUnembedded, EngineLedongthuc, []int{2, 3}, nil},
		{cjkfixture.ReplacementUnembedded, EngineAuto, []int{2, 3}, nil},
		{cjkfixture.ReplacementUnembedded, EngineLedongthuc, []int{2, 3}, nil},
		{cjkfixture.ReplacementUnembedded, EnginePDFium, []int{2, 3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.defect.String()+"/"+tt.engine, func(t *testing.T) {
			doc, err := ex[tt.engine].File(context.Background(), cjkFixture(t, tt.defect))
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Pages) != len(want) {
				t.Fatalf("%d pages, want %d", len(doc.Pages), len(want))
			}
			for i, p := range doc.Pages {
				garbled := slices.Contains(tt.garbled, p.Number)
				if p.Garbled != garbled {
					t.Errorf("page %d: Garbled = %v, want %v (warnings %q)", p.Number, p.Garbled, garbled, p.Warnings)
				}
				if garbled {
					if !strings.ContainsFunc(p.Text, isCJK) && p.Number == 2 {
						t.Errorf("page 2 lost its intact text too: %q", p.Text)
					}
					if c := checkText(p.Text, p.Text, true); c.bad > 0 || len(c.soup) > 0 {
						t.Errorf("page %d: garbage left in: %s", p.Number, c.reason())
					}
					if len(p.Warnings) == 0 || !strings.HasPrefix(p.Warnings[0], garbledPrefix) {
						t.Errorf("page %d: warnings %q, want a %q one", p.Number, p.Warnings, garbledPrefix)
					}
					continue
				}
				if s := textmetric.Compare(want[i], p.Text).CJKSurvival(); s < 0.995 {
					t.Errorf("page %d (%s): CJK survival %.3f\n%s", p.Number, p.Engine, s, p.Text)
				}
				if fb := slices.Contains(tt.fallback, p.Number); fb != (p.Engine == EnginePDFium && tt.engine == EngineAuto) {
					t.Errorf("page %d: engine %s, fallback wanted: %v", p.Number, p.Engine, fb)
				} else if fb && (len(p.Warnings) == 0 || !strings.Contains(p.Warnings[0], "used pdfium")) {
					t.Errorf("page %d: warnings %q, want the fallback's", p.Number, p.Warnings)
				}
			}
			if got := len(doc.GarbledWarnings()); got != len(tt.garbled) {
				t.Errorf("GarbledWarnings: %d lines, want %d", got, len(tt.garbled))
			}
		})
	}
}

func TestRefIn(t *testing.T) {
	dict := "<</F1 12 0 R /F10 7 0 R /F2 <</Type /Font>> /F3 5 0 R>>"
	for name, want := range map[string]string{"F1": "12 0 R", "F10": "7 0 R", "F3": "5 0 R", "F2": "", "F4": ""} {
		if got := refIn(dict, name); got != want {
			t.Errorf("refIn(%s) = %q, want %q", name, got, want)
		}
	}
}
