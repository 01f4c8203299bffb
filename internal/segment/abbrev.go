package segment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbrevs are the abbreviations of one language, lower-case, without the
// final period; a form of several parts has its inner periods and no
// spaces ("z.b" for "z. B.", "ee.uu" for "EE. UU.").
type abbrevs struct {
	// words never end a sentence ("Dr.", "Sra.", "sig.").
	words map[string]bool
	// numbered do not end a sentence before a number ("No. 5", "S. 12").
	numbered map[string]bool
	// ordinals: a number of one or two digits with a period is an ordinal
	// ("am 3. Oktober", "im 19. Jahrhundert"), not a sentence end.
	ordinals bool
}

// Abbreviations per language. Abbreviations that often end a sentence too
// ("etc.", "usw.", "ecc.") are not listed: UAX #29 already keeps them
// before a lower-case word, a number or punctuation, and a capitalized word
// after them most often starts a new sentence.
var abbrevLists = map[string]struct{ words, numbered string }{
	"en": {
		words: `mr mrs ms messrs dr prof sr jr st mt rev hon gen col lt sgt capt cmdr adm gov sen rep pres
			inc ltd co corp bros dept univ assn ave blvd rd vs cf approx ca est misc viz al
			jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e a.m p.m u.s u.k`,
		numbered: `no nos vol vols fig figs p pp ch chap sec art eq ed op`,
	},
	"de": {
		words: `dr prof hr hrn fr frl dipl ing mag bzw bzgl ca evtl ggf inkl vgl sog geb gest bspw insb
			einschl eigtl allg zzt zz jh jhd jhs str tel mio mrd abt mind max min ff
			z.b d.h u.a o.ä u.u s.o s.u v.a z.t i.d.r u.ä o.g m.e s.a z.zt
			jan feb mär apr jun jul aug sep sept okt nov dez`,
		numbered: `nr s abb kap art abs bd vol tab`,
	},
	"fr": {
		words: `mm mme mmes mlle mlles dr pr me mgr st ste cf env av apr boul bd éd
			c.-à-d p.ex ex janv févr avr juil sept oct nov déc`,
		numbered: `n no p pp t vol chap fig art éd`,
	},
	"it": {
		words: `sig sigg sig.ra sig.na sig.ri dott dott.ssa prof prof.ssa ing avv arch geom rag on gent egr
			mons ca cfr es p.es s.p.a s.r.l tel sec gen feb apr giu lug ago set ott nov dic`,
		numbered: `n nr pag pagg art cap vol fig tab`,
	},
	"pt": {
		words: `sr sra srs sras srta dr dra drs dras prof profa eng av obs ltda sta sto exmo exma v.exa
			p.ex ex jan fev mar abr mai jun jul ago set out nov dez séc`,
		numbered: `n nº p pp pág págs cap vol fig art`,
	},
	"es": {
		words: `sr sra sres sras srta dr dra dres prof profa lic ing arq ud uds vd vds dña av avda aprox
			dpto depto admón p.ej ej ee.uu cía ene feb mar abr may jun jul ago sept set oct nov dic`,
		numbered: `n núm nº p pp pág págs cap vol fig art`,
	},
	"hi": {
		words:    `डॉ प्रो श्री श्रीमती सुश्री कु ई.पू रु`,
		numbered: `पृ सं क्र`,
	},
	"th": {
		words: `ดร ศ รศ ผศ นพ พญ ทพ ภก สพ อ จ ต ม กม ซม มม กก ก.ม พ.ศ ค.ศ จ.ศ ร.ศ น.ส`,
	},
	"ru": {
		words:    `г гг т.е т.д т.п т.к др им ул пер просп проф акад доц руб коп тыс млн млрд см`,
		numbered: `с стр рис гл п`,
	},
}

// common are listed for every language: Latin forms used in all of them.
const common = `e.g i.e cf ca viz al vs`

func abbrevsFor(lang string) *abbrevs {
	l, ok := abbrevLists[lang]
	if !ok {
		l = abbrevLists["en"]
	}
	a := &abbrevs{words: map[string]bool{}, numbered: map[string]bool{}, ordinals: lang == "de"}
	for _, w := range strings.Fields(l.words + " " + common) {
		a.words[w] = true
	}
	for _, w := range strings.Fields(l.numbered) {
		a.numbered[w] = true
	}
	return a
}

// abbreviation reports whether the period at dot, which the sentence
// started at start holds and whose break would be at m, belongs to an
// abbreviation, an initial or a list number rather than ending the
// sentence.
func (s *scanner) abbreviation(start, dot, m, b int) bool {
	t := s.t
	ws := s.wordStart(start, dot)
	if ws == dot {
		// A period quoted on its own: "(.)", "«.»", "\".\"".
		if dot+1 >= len(t) || s.class(runeAt(t, dot+1)) != cClose {
			return false
		}
		p, psz := utf8.DecodeLastRuneInString(t[start:dot])
		if p == '"' || p == '\'' {
			// A straight quote opens when a space or nothing is before it.
			q, _ := utf8.DecodeLastRuneInString(t[start : dot-psz])
			return dot-psz == start || unicode.IsSpace(q)
		}
		return unicode.In(p, unicode.Ps, unicode.Pi)
	}
	w := t[ws:dot]
	var buf [48]byte
	lb := appendLower(buf[:0], w)
	if s.ab.words[string(lb)] {
		return true
	}
	nextDigit := m < b && s.class(runeAt(t, m)) == cNumeric
	if nextDigit && s.ab.numbered[string(lb)] {
		return true
	}
	first, fsz := utf8.DecodeRuneInString(w)
	single := fsz == len(w) || (len(w) > fsz && s.class(runeAt(t, ws+fsz)) == cExtend && allExtend(s, w[fsz:]))
	atStart := onlyBullets(t[start:ws])
	switch {
	case single && unicode.IsUpper(first):
		return true // an initial: "J. R. Tolkien", "M. Dupont"
	case single && atStart:
		return true // a list item: "a. …"
	case isDotted(w):
		return true // "e.g", "z.B", "U.S", "พ.ศ"
	}
	if isDigits(w) {
		if atStart && len(w) <= 3 {
			return true // a numbered list: "1. Install …"
		}
		if s.ab.ordinals && len(w) <= 2 && !nextDigit {
			if ns, ne := s.nextToken(m, b); ordinalNouns[strings.ToLower(t[ns:ne])] {
				return true
			}
		}
	}
	if atStart && (isRoman(string(lb)) || isSectionNumber(w)) {
		return true // "iv. …", "9.10.4. Compiling …"
	}
	// A form in two parts: "z. B.", "d. h.", "EE. UU.", "p. ex.".
	if utf8.RuneCountInString(w) <= 2 {
		if ns, ne := s.nextToken(m, b); ne > ns && ne < b && t[ne] == '.' && s.ab.words[string(lb)+"."+strings.ToLower(t[ns:ne])] {
			return true
		}
		if ps := s.prevToken(start, ws); ps >= 0 && s.ab.words[strings.ToLower(t[ps:ws-2])+"."+string(lb)] {
			return true
		}
	}
	return false
}

// ordinalNouns follow a German ordinal ("3. Oktober", "19. Jahrhundert").
var ordinalNouns = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`januar jänner februar märz april mai juni juli august september oktober
		november dezember jan feb mär apr jun jul aug sep sept okt nov dez jahrhundert jahrhunderts
		jahrtausend mal platz auflage kapitel klasse stock stufe lebensjahr geburtstag jahrestag
		tag tages woche monat quartal runde spieltag ausgabe version`) {
		m[w] = true
	}
	return m
}()

// appendLower appends s in lower case to b.
func appendLower(b []byte, s string) []byte {
	for _, r := range s {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

func runeAt(t string, i int) rune {
	r, _ := utf8.DecodeRuneInString(t[i:])
	return r
}

func allExtend(s *scanner, w string) bool {
	for _, r := range w {
		if s.class(r) != cExtend {
			return false
		}
	}
	return true
}

// wordStart returns where the word that ends at dot starts: letters,
// marks, digits, and inner periods and hyphens ("e.g", "c.-à-d"), not
// before start.
func (s *scanner) wordStart(start, dot int) int {
	t := s.t
	i := dot
	for i > start {
		r, sz := utf8.DecodeLastRuneInString(t[start:i])
		switch c := s.class(r); {
		case c == cLower || c == cUpper || c == cOLetter || c == cNumeric || c == cExtend:
		case (r == '.' || r == '-') && i < dot && i-sz > start:
			p, _ := utf8.DecodeLastRuneInString(t[start : i-sz])
			if pc := s.class(p); !(pc == cLower || pc == cUpper || pc == cOLetter || pc == cNumeric || pc == cExtend || p == '.') {
				return i
			}
		default:
			return i
		}
		i -= sz
	}
	return i
}

// nextToken returns the letters that start at m.
func (s *scanner) nextToken(m, b int) (int, int) {
	e := m
	for e < b && e-m < 16 {
		r, sz := utf8.DecodeRuneInString(s.t[e:])
		if c := s.class(r); c != cLower && c != cUpper && c != cOLetter && c != cExtend {
			break
		}
		e += sz
	}
	return m, e
}

// prevToken returns the start of a short word followed by ". " just before
// ws (the "z" of "z. B"), or -1.
func (s *scanner) prevToken(start, ws int) int {
	t := s.t
	if ws-start < 3 || t[ws-1] != ' ' || t[ws-2] != '.' {
		return -1
	}
	ps := s.wordStart(start, ws-2)
	if ps == ws-2 || utf8.RuneCountInString(t[ps:ws-2]) > 3 {
		return -1
	}
	return ps
}

// onlyBullets reports whether s holds nothing but spaces and list bullets.
func onlyBullets(s string) bool {
	return strings.TrimLeft(s, " \t\r\n-–—•*·▪◦(") == ""
}

// isDotted reports whether w is a dotted abbreviation: parts of one or two
// letters joined by periods ("e.g", "z.B", "U.S.A", "พ.ศ").
func isDotted(w string) bool {
	parts := strings.Split(w, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		n := 0
		for _, r := range p {
			if unicode.IsLetter(r) {
				n++
			} else if !unicode.Is(unicode.M, r) {
				return false
			}
		}
		if n < 1 || n > 2 {
			return false
		}
	}
	return true
}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// isSectionNumber reports whether w is a number like "9.10.4".
func isSectionNumber(w string) bool {
	return len(w) <= 12 && strings.Contains(w, ".") && strings.Trim(w, "0123456789.") == "" && !strings.Contains(w, "..")
}

func isRoman(w string) bool {
	switch w {
	case "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii":
		return true
	}
	return false
}
