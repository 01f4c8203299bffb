package infer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextStream(t *testing.T) {
	for _, c := range []struct {
		name    string
		stops   []string
		pieces  []string
		want    []string // text returned after each piece, then Finish's
		stopped bool
	}{
		{"plain", nil, []string{"Hel", "lo"}, []string{"Hel", "lo", ""}, false},
		{"split euro sign", nil, []string{"a\xe2", "\x82", "\xacb"}, []string{"a", "", "€b", ""}, false},
		{"split four bytes", nil, []string{"\xf0\x9f", "\x98\x80"}, []string{"", "😀", ""}, false},
		{"cut mid character at the end", nil, []string{"x\xe2\x82"}, []string{"x", "\uFFFD"}, false},
		{"invalid run held until it ends", nil, []string{"a\xff", "\xfeb"}, []string{"a", "\uFFFDb", ""}, false},
		{"stop in one piece", []string{"END"}, []string{"abcENDdef"}, []string{"abc", ""}, true},
		{"stop across pieces", []string{"END"}, []string{"ab E", "N", "Dx"}, []string{"ab ", "", "", ""}, true},
		{"prefix released", []string{"END"}, []string{"ab E", "Nx"}, []string{"ab ", "ENx", ""}, false},
		{"prefix held to the end", []string{"END"}, []string{"abEN"}, []string{"ab", "EN"}, false},
		{"first of several", []string{"zz", "b"}, []string{"aab", "zz"}, []string{"aa", "", ""}, true},
		{"multi-byte stop", []string{"é."}, []string{"caf\xc3", "\xa9", ". x"}, []string{"caf", "", "", ""}, true},
		{"the stop completed first wins", []string{"P0N", "0"}, []string{"xP0N"}, []string{"xP", ""}, true},
		{"same end: the longer stop", []string{"0", "P0"}, []string{"xP0"}, []string{"x", ""}, true},
		{"empty stop ignored", []string{""}, []string{"ab"}, []string{"ab", ""}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := NewTextStream(c.stops)
			var got []string
			stopped := false
			for _, p := range c.pieces {
				s, m := ts.Append([]byte(p))
				got = append(got, s)
				stopped = stopped || m
			}
			got = append(got, ts.Finish())
			if strings.Join(got, "|") != strings.Join(c.want, "|") || stopped != c.stopped {
				t.Fatalf("got %q stopped %v, want %q stopped %v", got, stopped, c.want, c.stopped)
			}
			for _, s := range got {
				if !utf8.ValidString(s) {
					t.Errorf("piece %q is not valid UTF-8", s)
				}
			}
			if txt := ts.Text(); txt != strings.Join(got, "") {
				t.Errorf("Text %q, pieces %q", txt, strings.Join(got, ""))
			}
		})
	}
}

// FuzzTextStream: whatever the bytes, their split into tokens and the stop
// strings, the pieces are valid UTF-8 and add up to the reply cut before
// the stop string completed first, as strings.ToValidUTF8 writes it.
func FuzzTextStream(f *testing.F) {
	f.Add([]byte("Hello, world END tail"), []byte{3, 5, 1}, "END", "")
	f.Add([]byte("caf\xc3\xa9. x\xe2\x82\xac\xff\xfe"), []byte{4, 1, 2}, "é.", "zz")
	f.Add([]byte("\xf0\x9f\x98\x80ab\xe2"), []byte{1, 1, 1, 1}, "b", "a")
	f.Fuzz(func(t *testing.T, data, cuts []byte, stop1, stop2 string) {
		if !utf8.ValidString(stop1) || !utf8.ValidString(stop2) {
			t.Skip("stop strings come from JSON: valid UTF-8")
		}
		stops := []string{stop1, stop2}
		ts := NewTextStream(stops)
		var got strings.Builder
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if i < len(cuts) {
				n = min(n, int(cuts[i]%8)+1)
			}
			piece, _ := ts.Append(rest[:n])
			if !utf8.ValidString(piece) {
				t.Fatalf("piece %q", piece)
			}
			got.WriteString(piece)
			rest = rest[n:]
		}
		got.WriteString(ts.Finish())
		// The reply ends before the stop string completed first (a tie:
		// the one starting first), wherever the token cuts fall.
		cut, cutEnd := len(data), len(data)+1
		for _, s := range stops {
			i := strings.Index(string(data), s)
			if s == "" || i < 0 {
				continue
			}
			if end := i + len(s); end < cutEnd || end == cutEnd && i < cut {
				cut, cutEnd = i, end
			}
		}
		if want := strings.ToValidUTF8(string(data[:cut]), "\uFFFD"); got.String() != want {
			t.Fatalf("pieces %q, want %q (stops %q)", got.String(), want, stops)
		}
	})
}
