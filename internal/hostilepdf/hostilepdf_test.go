package hostilepdf

import (
	"bytes"
	"compress/zlib"
	"hash/adler32"
	"io"
	"testing"
)

// TestRepeatZlib: the hand-made stream decodes (checksum included) to
// exactly the repeated data.
func TestRepeatZlib(t *testing.T) {
	prefix, suffix := []byte("BT /F1 12 Tf\n"), []byte("ET\n")
	pattern := bytes.Repeat([]byte("(abc) Tj\n"), 29)[:258]
	pattern[257] = '\n'
	for _, copies := range []int{1, 2, 3, 1000} {
		z := repeatZlib(prefix, pattern, suffix, copies)
		r, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("copies %d: %v", copies, err)
		}
		want := append(append(append([]byte{}, prefix...), bytes.Repeat(pattern, copies)...), suffix...)
		if !bytes.Equal(got, want) {
			t.Fatalf("copies %d: decoded %d bytes, want %d", copies, len(got), len(want))
		}
		if adler32.Checksum(want) != adlerRepeat(prefix, pattern, suffix, copies) {
			t.Fatalf("copies %d: checksum", copies)
		}
	}
}
