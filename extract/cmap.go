package extract

import (
	"bytes"
	"encoding/hex"
	"io"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// maxCMapSize bounds the ToUnicode streams read.
const maxCMapSize = 4 << 20

// readToUnicode parses a font's ToUnicode CMap (bfchar and bfrange
// sections) into a code → text map. The PDF reference makes ToUnicode the
// first source of a glyph's text, ahead of the font's encoding.
func readToUnicode(v pdf.Value) (m map[int]string) {
	if v.Kind() != pdf.Stream {
		return nil
	}
	defer func() {
		if recover() != nil {
			m = nil
		}
	}()
	data, err := io.ReadAll(io.LimitReader(v.Reader(), maxCMapSize))
	if err != nil && len(data) == 0 {
		return nil
	}
	toks := cmapTokens(data)
	m = map[int]string{}
	for i := 0; i < len(toks); i++ {
		switch string(toks[i]) {
		case "beginbfchar":
			for i++; i+1 < len(toks) && string(toks[i]) != "endbfchar"; i += 2 {
				code, ok1 := hexCode(toks[i])
				dst, ok2 := hexText(toks[i+1])
				if ok1 && ok2 {
					m[code] = dst
				}
			}
		case "beginbfrange":
			for i++; i+2 < len(toks) && string(toks[i]) != "endbfrange"; i += 3 {
				lo, ok1 := hexCode(toks[i])
				hi, ok2 := hexCode(toks[i+1])
				if !ok1 || !ok2 || hi < lo || hi-lo > 1<<16 {
					continue
				}
				if string(toks[i+2]) == "[" {
					j := i + 3
					for c := lo; j < len(toks) && string(toks[j]) != "]"; c, j = c+1, j+1 {
						if s, ok := hexText(toks[j]); ok && c <= hi {
							m[c] = s
						}
					}
					i = j - 2 // the loop adds 3: land after "]"
					continue
				}
				dst, ok := hexUnits(toks[i+2])
				if !ok || len(dst) == 0 {
					continue
				}
				for c := lo; c <= hi; c++ {
					u := append([]uint16(nil), dst...)
					u[len(u)-1] += uint16(c - lo)
					m[c] = string(utf16.Decode(u))
				}
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// cmapTokens splits a CMap into hex strings (<…> kept whole), brackets and
// bare words; literal strings and comments are skipped.
func cmapTokens(data []byte) [][]byte {
	var toks [][]byte
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '<' && i+1 < len(data) && data[i+1] == '<', c == '>' && i+1 < len(data) && data[i+1] == '>':
			i += 2
		case c == '<':
			j := bytes.IndexByte(data[i:], '>')
			if j < 0 {
				return toks
			}
			toks = append(toks, data[i:i+j+1])
			i += j + 1
		case c == '[' || c == ']':
			toks = append(toks, data[i:i+1])
			i++
		case c == '(':
			depth := 0
			for ; i < len(data); i++ {
				if data[i] == '\\' {
					i++
					continue
				}
				if data[i] == '(' {
					depth++
				} else if data[i] == ')' {
					depth--
					if depth == 0 {
						i++
						break
					}
				}
			}
		case c <= ' ':
			i++
		default:
			j := i
			for j < len(data) && data[j] > ' ' && !bytes.ContainsRune([]byte("<>[]()/%"), rune(data[j])) {
				j++
			}
			if j == i {
				j++
			}
			toks = append(toks, data[i:j])
			i = j
		}
	}
	return toks
}

func hexBytes(tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '<' || tok[len(tok)-1] != '>' {
		return nil, false
	}
	h := bytes.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, tok[1:len(tok)-1])
	if len(h)%2 == 1 {
		h = append(h, '0')
	}
	b := make([]byte, len(h)/2)
	if _, err := hex.Decode(b, h); err != nil {
		return nil, false
	}
	return b, true
}

func hexCode(tok []byte) (int, bool) {
	b, ok := hexBytes(tok)
	if !ok || len(b) == 0 || len(b) > 4 {
		return 0, false
	}
	c := 0
	for _, x := range b {
		c = c<<8 | int(x)
	}
	return c, true
}

func hexUnits(tok []byte) ([]uint16, bool) {
	b, ok := hexBytes(tok)
	if !ok || len(b)%2 == 1 {
		return nil, false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u, true
}

func hexText(tok []byte) (string, bool) {
	u, ok := hexUnits(tok)
	if !ok {
		return "", false
	}
	return string(utf16.Decode(u)), true
}
