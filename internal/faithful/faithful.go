// Package faithful checks a summary against its source for the facts a
// reader acts on: numbers, amounts, dates and capitalised names. A fact of
// the summary that the source does not contain (after normalising number
// formats, white space and case) is reported with its span, so that a
// summary stating what the document does not is flagged rather than
// trusted.
//
// What counts:
//   - numbers: digit groups with optional thousands separators (, . ' and
//     thin/no-break spaces) and a decimal part, percentages included; "1,200",
//     "1.200" and "1200" are the same number, "1,5" and "1.5" too. Numbers
//     up to twenty also match their English word ("three");
//   - amounts: a number with a currency sign or code before or after it
//     ($, €, £, ¥, USD, EUR, …): the number must occur in the source;
//   - dates: ISO dates, day/month/year with slashes or dots, and English
//     month-name dates ("12 March 2024", "March 12, 2024", "March 2024");
//     the date must occur in the source in any of these forms;
//   - names: runs of capitalised words (not a lone word that starts a
//     sentence or line); each word must occur in the source, ignoring case.
//
// Page citations ([p. 3], [p. 3–5]) are not facts and are skipped.
package faithful

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Kinds of fact.
const (
	KindNumber = "number"
	KindAmount = "amount"
	KindDate   = "date"
	KindName   = "name"
)

// Warning is one fact of the summary absent from the source.
type Warning struct {
	Kind string `json:"kind"`
	// Span is the fact as the summary writes it; Offset its byte offset in
	// the summary.
	Span   string `json:"span"`
	Offset int    `json:"offset"`
}

// String is the warning as one line.
func (w Warning) String() string {
	return "faithfulness: " + w.Kind + " " + strconv.Quote(w.Span) + " is not in the source"
}

// Source is a document's text indexed for checks.
type Source struct {
	text    string // normalised: NFKC, lower case, white space folded
	numbers map[string]bool
	dates   map[string]bool
	words   map[string]bool
}

// NewSource indexes the source text.
func NewSource(text string) *Source {
	s := &Source{text: normalize(text), numbers: map[string]bool{}, dates: map[string]bool{}, words: map[string]bool{}}
	for _, m := range numberRE.FindAllString(s.text, -1) {
		for _, v := range numberValues(m) {
			s.numbers[v] = true
		}
	}
	for _, d := range findDates(s.text) {
		for _, k := range d.keys {
			s.dates[k] = true
		}
	}
	for _, w := range strings.FieldsFunc(s.text, notWordRune) {
		s.words[w] = true
	}
	for i, w := range smallNumbers {
		if s.words[w] {
			s.numbers[strconv.Itoa(i)] = true
		}
	}
	return s
}

// Check returns the facts of summary the source lacks, in order.
func (s *Source) Check(summary string) []Warning {
	var out []Warning
	covered := make([]bool, len(summary))
	cover := func(a, b int) {
		for i := a; i < b; i++ {
			covered[i] = true
		}
	}
	for _, loc := range citationRE.FindAllStringIndex(summary, -1) {
		cover(loc[0], loc[1])
	}
	low := lowerASCII(summary) // same byte offsets as summary
	for _, d := range findDates(low) {
		if anyCovered(covered, d.start, d.end) {
			continue
		}
		cover(d.start, d.end)
		ok := strings.Contains(s.text, foldSpace(low[d.start:d.end]))
		for _, k := range d.keys {
			ok = ok || s.dates[k]
		}
		if !ok {
			out = append(out, Warning{Kind: KindDate, Span: summary[d.start:d.end], Offset: d.start})
		}
	}
	for _, loc := range amountRE.FindAllStringSubmatchIndex(low, -1) {
		if anyCovered(covered, loc[0], loc[1]) {
			continue
		}
		num := ""
		for g := 2; g+1 < len(loc); g += 2 {
			if loc[g] >= 0 && numberRE.MatchString(low[loc[g]:loc[g+1]]) {
				num = low[loc[g]:loc[g+1]]
			}
		}
		cover(loc[0], loc[1])
		if !s.hasNumber(num) {
			out = append(out, Warning{Kind: KindAmount, Span: strings.TrimSpace(summary[loc[0]:loc[1]]), Offset: loc[0]})
		}
	}
	for _, loc := range numberRE.FindAllStringIndex(low, -1) {
		if anyCovered(covered, loc[0], loc[1]) {
			continue
		}
		cover(loc[0], loc[1])
		if !s.hasNumber(low[loc[0]:loc[1]]) {
			out = append(out, Warning{Kind: KindNumber, Span: summary[loc[0]:loc[1]], Offset: loc[0]})
		}
	}
	for _, n := range findNames(summary) {
		if anyCovered(covered, n.start, n.end) {
			continue
		}
		for _, w := range strings.FieldsFunc(normalize(summary[n.start:n.end]), notWordRune) {
			if !s.words[w] {
				out = append(out, Warning{Kind: KindName, Span: summary[n.start:n.end], Offset: n.start})
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

func (s *Source) hasNumber(tok string) bool {
	for _, v := range numberValues(tok) {
		if s.numbers[v] {
			return true
		}
	}
	return false
}

func anyCovered(c []bool, a, b int) bool {
	for i := a; i < b && i < len(c); i++ {
		if c[i] {
			return true
		}
	}
	return false
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func normalize(s string) string { return foldSpace(strings.ToLower(norm.NFKC.String(s))) }

func foldSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

var smallNumbers = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"}

// numberRE is a number with optional thousands separators and decimals.
var numberRE = regexp.MustCompile(`\d+(?:[.,'’\x{00a0}\x{202f}]\d+)*`)

// citationRE is a page citation.
var citationRE = regexp.MustCompile(`\[pp?\.\s*\d+(?:\s*[–-]\s*\d+)?(?:\s*,\s*\d+(?:\s*[–-]\s*\d+)?)*\]`)

var amountRE = regexp.MustCompile(`(?:[$€£¥₹]|\b(?:usd|eur|gbp|jpy|chf|cny|inr|aud|cad)\s?)\s?(\d+(?:[.,'’\x{00a0}\x{202f}]\d+)*)|(\d+(?:[.,'’\x{00a0}\x{202f}]\d+)*)\s?(?:[$€£¥₹]|(?:usd|eur|gbp|jpy|chf|cny|inr|aud|cad|dollars?|euros?|pounds?)\b)`)

// numberValues returns the canonical values a number token may stand for:
// the separators read as thousands separators, and the last one read as a
// decimal point.
func numberValues(tok string) []string {
	if tok == "" {
		return nil
	}
	isSep := func(r rune) bool {
		return r == '.' || r == ',' || r == '\'' || r == '’' || r == '\u00a0' || r == '\u202f'
	}
	digits := strings.Map(func(r rune) rune {
		if isSep(r) {
			return -1
		}
		return r
	}, tok)
	vals := []string{canon(digits, "")}
	if i := strings.LastIndexFunc(tok, isSep); i >= 0 {
		_, size := utf8.DecodeRuneInString(tok[i:])
		intPart := strings.Map(func(r rune) rune {
			if isSep(r) {
				return -1
			}
			return r
		}, tok[:i])
		vals = append(vals, canon(intPart, tok[i+size:]))
	}
	return vals
}

func canon(intPart, frac string) string {
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

var months = map[string]int{"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}

const monthAlt = `january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec`

var (
	isoDateRE   = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	numDateRE   = regexp.MustCompile(`\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b`)
	dayMonthRE  = regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(` + monthAlt + `)\.?(?:,?\s+(\d{4}))?\b`)
	monthDayRE  = regexp.MustCompile(`\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b`)
	monthYearRE = regexp.MustCompile(`\b(` + monthAlt + `)\.?,?\s+(\d{4})\b`)
)

type date struct {
	start, end int
	keys       []string // canonical forms: y-m-d, and d-m / m-y parts when partial
}

// findDates finds the dates of lower-case text with their canonical keys.
func findDates(text string) []date {
	var out []date
	taken := make([]bool, len(text))
	add := func(a, b int, keys ...string) {
		if anyCovered(taken, a, b) {
			return
		}
		for i := a; i < b; i++ {
			taken[i] = true
		}
		out = append(out, date{start: a, end: b, keys: keys})
	}
	sub := func(m []int, g int) string {
		if m[2*g] < 0 {
			return ""
		}
		return text[m[2*g]:m[2*g+1]]
	}
	for _, m := range isoDateRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], m[1], ymd(sub(m, 1), atoi(sub(m, 2)), atoi(sub(m, 3))))
	}
	for _, m := range numDateRE.FindAllStringSubmatchIndex(text, -1) {
		a, b, y := atoi(sub(m, 1)), atoi(sub(m, 2)), sub(m, 3)
		if len(y) == 2 {
			y = "20" + y
		}
		// Day first or month first: both readings are keys.
		add(m[0], m[1], ymd(y, b, a), ymd(y, a, b))
	}
	for _, m := range dayMonthRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], m[1], ymd(sub(m, 3), months[sub(m, 2)], atoi(sub(m, 1))))
	}
	for _, m := range monthDayRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], m[1], ymd(sub(m, 3), months[sub(m, 1)], atoi(sub(m, 2))))
	}
	for _, m := range monthYearRE.FindAllStringSubmatchIndex(text, -1) {
		add(m[0], m[1], ymd(sub(m, 2), months[sub(m, 1)], 0))
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// ymd is a date key; a missing year or day is left out ("?").
func ymd(y string, m, d int) string {
	if y == "" {
		y = "?"
	}
	ds := "?"
	if d > 0 {
		ds = strconv.Itoa(d)
	}
	return y + "-" + strconv.Itoa(m) + "-" + ds
}

type span struct{ start, end int }

// functionWords are capitalised words that are not names wherever they
// stand (after a closing bracket or a CJK sentence, say).
var functionWords = wordSet("The A An This That These Those It Its In On At Of For To From By With As And Or But If When While Then There Here We You They He She I Our Your Their His Her Also All Both Each Some Most No Not See Note")

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// findNames finds runs of capitalised words; a lone capitalised word that
// starts a sentence, a line or a list item is not a name.
func findNames(text string) []span {
	var out []span
	sentenceStart := true
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) {
			if strings.ContainsRune(".!?\n:#*。！？…;", r) {
				sentenceStart = true
			} else if !unicode.IsSpace(r) && r != '-' && r != '"' && r != '(' && r != '“' {
				sentenceStart = false
			}
			i += size
			continue
		}
		// A word.
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r2) && !unicode.IsDigit(r2) && !unicode.IsMark(r2) && r2 != '\'' && r2 != '’' {
				break
			}
			j += s2
		}
		if !unicode.IsUpper(r) {
			sentenceStart = false
			i = j
			continue
		}
		// A run of capitalised words separated by single spaces.
		start, end, words := i, j, 1
		for {
			k := end
			if k < len(text) && text[k] == ' ' {
				k++
			} else {
				break
			}
			r3, _ := utf8.DecodeRuneInString(text[k:])
			if !unicode.IsUpper(r3) {
				break
			}
			e := k
			for e < len(text) {
				r4, s4 := utf8.DecodeRuneInString(text[e:])
				if !unicode.IsLetter(r4) && !unicode.IsDigit(r4) && !unicode.IsMark(r4) && r4 != '\'' && r4 != '’' {
					break
				}
				e += s4
			}
			end, words = e, words+1
		}
		if (words > 1 || !sentenceStart && !functionWords[text[start:end]]) && utf8.RuneCountInString(text[start:end]) > 1 {
			out = append(out, span{start, end})
		}
		sentenceStart = false
		i = end
	}
	return out
}
