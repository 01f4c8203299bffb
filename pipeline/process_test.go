package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// hashFile reads under the document's context: an abandoned document stops
// hashing; a live one gets the file's SHA-256 and size.
func TestHashFileContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.txt")
	data := []byte("some text to hash\n")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		path    string
		wantErr error
	}{
		{"live", context.Background(), p, nil},
		{"abandoned", canceled, p, context.Canceled},
		{"missing", context.Background(), p + ".gone", os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := hashFile(tc.ctx, tc.path)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && (got != hex.EncodeToString(sum[:]) || n != int64(len(data))) {
				t.Fatalf("got %s %d", got, n)
			}
		})
	}
}
