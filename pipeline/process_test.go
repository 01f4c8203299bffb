package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/extract"
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

// TestDocTimeoutCoversSummarizing: the document time limit holds past
// extraction. An 8 MB text extracts in well under the limit but takes far
// longer to chunk and summarize; it fails alone, naming the limit, and the
// small document beside it is summarized.
func TestDocTimeoutCoversSummarizing(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	var big strings.Builder
	for big.Len() < 8<<20 {
		fmt.Fprintf(&big, "Sentence number %d talks about solar panels and the grid. ", big.Len())
		if big.Len()%4000 < 80 {
			big.WriteString("\n\n")
		}
	}
	writeFiles(t, in, map[string]string{"big.txt": big.String(), "small.txt": "A small document. It has two sentences."})
	cfg := Config{Inputs: []string{in}, OutDir: out, Jobs: 1, Extract: extract.Options{Timeout: 500 * time.Millisecond}}
	start := time.Now()
	rep, err := Run(context.Background(), cfg, extractive.New(extractive.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]DocResult{}
	for _, d := range rep.Index.Documents {
		got[d.Source] = d
	}
	if d := got["big.txt"]; d.Status != StatusFailed || !strings.Contains(d.Error, "time limit 500ms") || !strings.Contains(d.Error, "big.txt") {
		t.Errorf("big.txt: %s %q (after %s)", d.Status, d.Error, time.Since(start))
	}
	if d := got["small.txt"]; d.Status != StatusOK {
		t.Errorf("small.txt: %s %q", d.Status, d.Error)
	}
}

// TestLongLineExtractive: a long single line (half a megabyte here) (with sentences, or
// without any punctuation) is summarized from real pieces of its text by
// the extractive backend, never from the map-reduce part headings alone.
func TestLongLineExtractive(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	words := strings.Fields("solar wind grid battery storage power plant energy cost price market demand supply policy carbon emission")
	var plain, sentences strings.Builder
	for i := 0; plain.Len() < 512<<10; i++ {
		plain.WriteString(words[(i*7+i/3)%len(words)] + " ")
	}
	for i := 0; sentences.Len() < 512<<10; i++ {
		fmt.Fprintf(&sentences, "The %s %s changes the %s. ", words[i%len(words)], words[(i/5)%len(words)], words[(i/3)%len(words)])
	}
	writeFiles(t, in, map[string]string{"plain.txt": plain.String(), "sentences.txt": sentences.String()})
	rep, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 1, JSON: true}, extractive.New(extractive.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Index.Documents {
		if d.Status != StatusOK {
			t.Fatalf("%s: %s %s", d.Source, d.Status, d.Error)
		}
	}
	for _, name := range []string{"plain.txt", "sentences.txt"} {
		var dj DocumentJSON
		data, err := os.ReadFile(filepath.Join(out, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &dj); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dj.Summary, "Part ") || len(strings.Fields(dj.Summary)) < 20 {
			t.Errorf("%s: summary %q", name, dj.Summary)
		}
		if name == "sentences.txt" && !strings.HasSuffix(dj.Summary, ".") {
			t.Errorf("%s: summary does not end a sentence: %q", name, dj.Summary)
		}
	}
}

// TestSweepTemps: temporary files of atomic writes left by a killed run
// are removed by the next run where it looks (the root, the state folder,
// folders it lists or writes in, folders of deleted documents; all of
// them under the exclusive lock, a shard run leaves fresh ones alone), and
// nothing else is. A folder that no input and no recorded output reaches
// is not walked.
func TestSweepTemps(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFiles(t, in, map[string]string{
		"a.txt":       "A document. It has two sentences.",
		"deep/c.txt":  "Another document. It stays.",
		"gone/b.txt":  "A document that will be deleted. Its folder is swept.",
		"other/d.txt": "A third document. Nothing special.",
	})
	run := func() {
		t.Helper()
		if _, err := Run(context.Background(), Config{Inputs: []string{in}, OutDir: out, Jobs: 1}, extractive.New(extractive.Options{})); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if err := os.Remove(filepath.Join(in, "gone", "b.txt")); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		".index.json.tmp-fedcba9876543210",      // root
		".llsum/.state.json.tmp-1234567890",     // state folder
		"deep/.c.txt.md.tmp-0123456789abcdef",   // a folder an input leads to
		"gone/.b.txt.json.tmp-0123456789abcdef", // the folder of a deleted document
	}
	keep := []string{
		"deep/.hidden-user-file", "deep/notes.tmp-abc.txt", ".llsum/.x.tmp-zzzzzz",
		"nowhere/.e.txt.md.tmp-0123456789abcdef", // no input or output reaches it: not walked
	}
	for _, f := range append(append([]string{}, stale...), keep...) {
		p := filepath.Join(out, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run()
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s left", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s removed: %v", f, err)
		}
	}
	// Under a shard's shared lock, a fresh temporary file may be another
	// shard's write in progress: kept; a day-old one goes.
	fresh, old := filepath.Join(out, ".c.md.tmp-aaaaaaaaaaaaaaaa"), filepath.Join(out, ".d.md.tmp-bbbbbbbbbbbbbbbb")
	os.WriteFile(fresh, nil, 0o644)
	os.WriteFile(old, nil, 0o644)
	day := time.Now().Add(-25 * time.Hour)
	os.Chtimes(old, day, day)
	sw := newTempSweeper(true)
	sw.sweepDir(out)
	sw.sweepDir(out + "/") // once per folder
	if n := sw.removed.Load(); n != 1 {
		t.Errorf("swept %d, want 1", n)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp removed under a shard run")
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
