package statedb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchDocs is the size of the store the benchmarks work on.
const benchDocs = 100_000

func benchDoc(i int, run int64) Doc {
	out := fmt.Sprintf("d%03d/e%02d/doc%06d.txt", i/1000, (i/100)%10, i)
	sha := fmt.Sprintf("%064x", i)
	return Doc{Out: out, Source: out, Path: "/srv/in/" + out, Size: 400, MTime: 1764547200_000000000 + int64(i),
		SHA256: sha, Status: StatusSkipped, Reason: "unchanged", TotalMS: 1, Run: run, Changed: 1,
		Summary: Summary{SHA256: sha, Model: "extractive-textrank-v1", Params: "b8f6ac919963e048",
			Outputs: []string{out + ".json", out + ".md"}, Done: time.Unix(1764547200, 0)}}
}

func fill(b *testing.B, db *DB, run int64) {
	ctx := context.Background()
	batch := make([]Doc, 0, 1000)
	for i := 0; i < benchDocs; i++ {
		batch = append(batch, benchDoc(i, run))
		if len(batch) == cap(batch) {
			if err := db.Commit(ctx, Run{ID: run}, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkCommit is one incremental run's writes: every document's row
// upserted, in batches of 1,000 (what the collector does). Reports bytes
// per document of the database after it.
func BenchmarkCommit(b *testing.B) {
	p := filepath.Join(b.TempDir(), "state.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := range b.N {
		fill(b, db, int64(i+1))
	}
	b.StopTimer()
	db.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	fi, _ := os.Stat(p)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchDocs), "ns/doc")
	b.ReportMetric(float64(fi.Size())/benchDocs, "B/doc")
}

// BenchmarkLookup is the skip decision's point lookup by output path, in
// walk order, over a store of benchDocs documents.
func BenchmarkLookup(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	fill(b, db, 1)
	ctx := context.Background()
	keys := make([]string, benchDocs)
	for i := range keys {
		keys[i] = benchDoc(i, 1).Out
	}
	b.ResetTimer()
	for i := range b.N {
		d, err := db.Lookup(ctx, keys[i%benchDocs])
		if err != nil || d == nil {
			b.Fatal(d, err)
		}
	}
}
