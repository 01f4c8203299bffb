package statedb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func open(t *testing.T) (*DB, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, p
}

func done(out, sha string, run int64) Doc {
	return Doc{Out: out, Source: out, Path: "in/" + out, SHA256: sha, Size: 10, Status: StatusOK, Run: run, Changed: run,
		Summary: Summary{SHA256: sha, Model: "m1", Params: "p1", Outputs: []string{out + ".json", out + ".md"}, Done: time.Unix(1700000000, 0).UTC()}}
}

func TestCommitLookup(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	r1, err := db.BeginRun(ctx, Run{Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	a := done("a.txt", shaA, r1)
	a.Warnings, a.Faithfulness = 3, 2
	if err := db.Commit(ctx, Run{ID: r1, Counts: Counts{OK: 2}}, []Doc{a, done("b.txt", shaB, r1)}); err != nil {
		t.Fatal(err)
	}
	d, err := db.Lookup(ctx, "a.txt")
	if err != nil || d == nil {
		t.Fatalf("lookup: %v %v", d, err)
	}
	if d.Warnings != 3 || d.Faithfulness != 2 {
		t.Fatalf("warnings %d, faithfulness warnings %d; want 3 and 2 (index.json counts them)", d.Warnings, d.Faithfulness)
	}
	if d.Summary.SHA256 != shaA || d.Summary.Model != "m1" || len(d.Summary.Outputs) != 2 || d.Source != "a.txt" || d.Path != "in/a.txt" {
		t.Fatalf("read back %+v", d)
	}
	if d, _ := db.Lookup(ctx, "missing"); d != nil {
		t.Fatalf("missing document found: %+v", d)
	}
	if d, _ := db.LookupContent(ctx, shaB, "m1", "p1"); d == nil || d.Out != "b.txt" {
		t.Fatalf("content lookup: %+v", d)
	}
	if d, _ := db.LookupContent(ctx, shaB, "m2", "p1"); d != nil {
		t.Fatalf("content lookup with another model: %+v", d)
	}

	// Run 2: a.txt changed and failed; its summary fields stand, made
	// from the old content. b.txt skipped.
	r2, _ := db.BeginRun(ctx, Run{Started: time.Now()})
	failed := Doc{Out: "a.txt", Source: "a.txt", Path: "in/a.txt", SHA256: shaB, Status: StatusFailed, Error: "boom", Run: r2, Changed: r2}
	skipped := done("b.txt", shaB, r2)
	skipped.Status = StatusSkipped
	if err := db.Commit(ctx, Run{ID: r2, Status: RunComplete, Finished: time.Now()}, []Doc{failed, skipped}); err != nil {
		t.Fatal(err)
	}
	d, _ = db.Lookup(ctx, "a.txt")
	if d.Status != StatusFailed || d.Error != "boom" || d.SHA256 != shaB || d.Summary.SHA256 != shaA || d.Run != r2 {
		t.Fatalf("failed document: %+v", d)
	}
	if d, _ := db.Lookup(ctx, "b.txt"); d.Changed != r1 || d.Run != r2 {
		t.Fatalf("skip moved changed: %+v", d)
	}
	var stale, changed, met []string
	collect := func(to *[]string) func(*Doc) error {
		return func(d *Doc) error { *to = append(*to, d.Out); return nil }
	}
	db.Docs(ctx, Filter{Stale: &Summary{Model: "m1", Params: "p1"}}, collect(&stale))
	db.Docs(ctx, Filter{ChangedSince: r2}, collect(&changed))
	db.Docs(ctx, Filter{Run: r2}, collect(&met))
	if strings.Join(stale, ",") != "a.txt" || strings.Join(changed, ",") != "a.txt" || strings.Join(met, ",") != "a.txt,b.txt" {
		t.Fatalf("stale %v changed %v met %v", stale, changed, met)
	}
	runs, err := db.Runs(ctx, time.Time{})
	if err != nil || len(runs) != 2 || runs[1].Status != RunComplete || runs[0].Counts.OK != 2 || runs[1].Finished.IsZero() {
		t.Fatalf("runs %+v %v", runs, err)
	}
	r3, _ := db.BeginRun(ctx, Run{Started: time.Now()})
	db.Commit(ctx, Run{}, []Doc{done("b.txt", shaB, r3)})
	var unmet []string
	db.Unmet(ctx, r3, collect(&unmet))
	if strings.Join(unmet, ",") != "a.txt" {
		t.Fatalf("unmet %v", unmet)
	}
	if err := db.Delete(ctx, unmet); err != nil {
		t.Fatal(err)
	}
	if d, _ := db.Lookup(ctx, "a.txt"); d != nil {
		t.Fatal("deleted document still there")
	}
}

func TestImportIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	boom := errors.New("boom")
	_, err := db.Import(ctx, Run{Started: time.Now()}, "migrated", "yes", func(add func(Doc) error) error {
		for i := 0; i < 2500; i++ {
			if err := add(done(strings.Repeat("x", i%50+1)+".txt", shaA, 0)); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("import error %v", err)
	}
	if v, _ := db.Meta(ctx, "migrated"); v != "" {
		t.Fatal("meta set by a failed import")
	}
	if d, _ := db.Lookup(ctx, "x.txt"); d != nil {
		t.Fatal("documents of a failed import are there")
	}
	id, err := db.Import(ctx, Run{Started: time.Now()}, "migrated", "yes", func(add func(Doc) error) error {
		return add(done("x.txt", shaA, 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := db.Lookup(ctx, "x.txt"); d == nil || d.Run != id {
		t.Fatalf("imported %+v", d)
	}
	if v, _ := db.Meta(ctx, "migrated"); v != "yes" {
		t.Fatal("meta not set")
	}
}

func TestCorruptFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
	}{
		{"garbage", strings.Repeat("not a database ", 300)},
		{"truncated header", "SQLite format 3\x00\x10\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state.db")
			os.WriteFile(p, []byte(tc.data), 0o644)
			_, err := Open(context.Background(), p)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v", err)
			}
		})
	}
}
