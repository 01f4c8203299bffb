package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/statedb"
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

// A file whose size and modification time are those recorded when it was
// hashed (and that time had settled) is not read again; one modified too
// recently to trust its time, or with another time or size, is hashed.
func TestUnchangedByStat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	old, fresh := filepath.Join(in, "old.txt"), filepath.Join(in, "fresh.txt")
	write := func(p, s string, mtime time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if !mtime.IsZero() {
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	hourAgo := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	write(old, "Solar panels make power. Batteries store it for the night.", hourAgo)
	write(fresh, "Wind turbines turn in the storm. Farms feed the grid well.", time.Time{})
	run := func(force bool) Counts {
		t.Helper()
		rep, err := Run(ctx, Config{Inputs: []string{in}, OutDir: out, Jobs: 2, Force: force}, extractive.New(extractive.Options{}))
		if err != nil || rep.Fatal != nil {
			t.Fatalf("run: %v %v", err, rep.Fatal)
		}
		return rep.Index.Counts
	}
	run(false)
	db, err := statedb.Open(ctx, StatePath(out, Shard{}))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := db.Lookup(ctx, "old.txt")
	f, _ := db.Lookup(ctx, "fresh.txt")
	db.Close()
	if o == nil || o.MTime != hourAgo.UnixNano() || f == nil || f.MTime != 0 {
		t.Fatalf("recorded times: old %+v, fresh %+v; want old's time and 0 for the fresh file", o, f)
	}

	// Same size, same time, other content: old.txt is not read again (its
	// recorded hash stands); fresh.txt, whose time was not trusted, is.
	write(old, "Solar panels make money. Batteries store it for the night.", hourAgo)
	write(fresh, "Wind turbines turn in the storm. Farms feed the town well.", time.Time{})
	if c := run(false); c != (Counts{OK: 1, Skipped: 1}) {
		t.Fatalf("second run %+v, want fresh.txt summarized and old.txt skipped on its time", c)
	}
	// Another time: hashed, found changed.
	write(old, "Solar panels make money. Batteries store it for the night.", hourAgo.Add(time.Second))
	if c := run(false); c != (Counts{OK: 1, Skipped: 1}) {
		t.Fatalf("third run %+v, want old.txt summarized after its time changed", c)
	}
	if c := run(true); c != (Counts{OK: 2}) {
		t.Fatalf("--force run %+v, want both summarized", c)
	}
	// An output gone (the folder listing says so): summarized again.
	if err := os.Remove(filepath.Join(out, "old.txt.md")); err != nil {
		t.Fatal(err)
	}
	if c := run(false); c != (Counts{OK: 1, Skipped: 1}) {
		t.Fatalf("run after an output was removed %+v, want it summarized again", c)
	}
}

// Temporary files left in the output folders by a killed run (older than
// this run) are removed; other files, and hidden ones, stay.
func TestStaleTempsSwept(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, p := range []string{filepath.Join(in, "sub", "a.txt"), filepath.Join(in, "b.txt")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("Solar panels make power. Batteries store it for the night."), 0o644)
	}
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // path under out: kept?
		"sub/.a.txt.json.tmp-123456": false,
		".b.txt.md.tmp-99":           false,
		"sub/.hidden":                true,
		"sub/notes.tmp-1":            true,
	}
	for rel := range files {
		p := filepath.Join(out, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
		os.Chtimes(p, old, old)
	}
	rep, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 2}, extractive.New(extractive.Options{}))
	if err != nil || rep.Index.Counts.OK != 2 {
		t.Fatalf("run: %v %+v", err, rep)
	}
	for rel, kept := range files {
		_, err := os.Stat(filepath.Join(out, filepath.FromSlash(rel)))
		if (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", rel, err == nil, kept)
		}
	}
}
