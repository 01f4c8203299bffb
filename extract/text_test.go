package extract

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, big bool) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			out = binary.BigEndian.AppendUint16(out, u)
		} else {
			out = binary.LittleEndian.AppendUint16(out, u)
		}
	}
	return out
}

func utf32Bytes(s string, big bool) []byte {
	var out []byte
	for _, r := range s {
		if big {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
	}
	return out
}

// TestTextDecoding: text files are decoded by their byte-order mark, NULs
// are dropped, Windows-1252 is read as such, and binary data posing as text
// fails with a clear error.
func TestTextDecoding(t *testing.T) {
	const want = "Grüße aus Köln — 東京 🌍.\nSecond line."
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 20000)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name string
		data []byte
		want string
		warn string
		err  error
	}{
		{"utf-8", []byte(want), want, "", nil},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, want...), want, "", nil},
		{"utf-16le bom", append([]byte{0xFF, 0xFE}, utf16Bytes(want, false)...), want, "UTF-16LE", nil},
		{"utf-16be bom", append([]byte{0xFE, 0xFF}, utf16Bytes(want, true)...), want, "UTF-16BE", nil},
		{"utf-32le bom", append([]byte{0xFF, 0xFE, 0, 0}, utf32Bytes(want, false)...), want, "UTF-32LE", nil},
		{"utf-32be bom", append([]byte{0, 0, 0xFE, 0xFF}, utf32Bytes(want, true)...), want, "UTF-32BE", nil},
		{"nul bytes", []byte("Some\x00 text\x00 with NULs."), "Some text with NULs.", "NUL characters removed", nil},
		{"windows-1252", []byte("Caf\xe9 cr\xe8me \x93quoted\x94."), "Café crème \u201cquoted\u201d.", "Windows-1252", nil},
		{"random bytes", random, "", "", ErrBinary},
		{"pdf renamed", append([]byte("%PDF-1.4\n1 0 obj\n<< /Length 20000 >>\nstream\n"), random...), "", "", ErrBinary},
		{"utf-16 without bom", utf16Bytes(strings.Repeat(want, 10), false), "", "", ErrBinary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "doc.txt", c.data)
			doc, err := File(context.Background(), p, Options{})
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want %v naming the file on one line", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := doc.Pages[0].Text; got != c.want {
				t.Errorf("text %q, want %q", got, c.want)
			}
			if w := strings.Join(doc.Pages[0].Warnings, "; "); !strings.Contains(w, c.warn) || (c.warn == "" && w != "") {
				t.Errorf("warnings %q, want %q", w, c.warn)
			}
		})
	}
}

// TestTextOverBudget: a text file larger than a third of the budget fails
// alone with ErrMemoryBudget instead of being read whole.
func TestTextOverBudget(t *testing.T) {
	p := writeFile(t, "big.txt", []byte(strings.Repeat("A sentence of text. ", 400_000))) // 8 MB
	_, err := File(context.Background(), p, Options{MemoryBudget: minMemoryBudget})
	if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
	if _, err := File(context.Background(), p, Options{MemoryBudget: 64 << 20}); err != nil {
		t.Fatalf("within the budget: %v", err)
	}
}
