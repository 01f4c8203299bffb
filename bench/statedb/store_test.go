// Package dbbench compares SQLite (modernc.org/sqlite, WAL) and bbolt for
// llsum's run state: one record per document keyed by its output path,
// written in batches as documents complete, read by point lookups in walk
// order while the next run walks.
package dbbench

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
	_ "modernc.org/sqlite"
)

const (
	nDocs = 1_000_000
	batch = 1000
)

func key(i int) string {
	return fmt.Sprintf("d%03d/e%02d/doc%07d.txt", i/1000, (i/100)%10, i)
}

type rec struct {
	size, mtime      int64
	sha              [32]byte
	model, params    int64
	outputs, status  int64
	extractMS, sumMS int64
	run              int64
}

func mkrec(i int) rec {
	r := rec{size: 400 + int64(i%100), mtime: 1764547200_000000000 + int64(i), model: 1, params: 1, outputs: 3, run: 1, extractMS: int64(i % 7), sumMS: int64(i % 13)}
	r.sha = sha256.Sum256([]byte(key(i)))
	return r
}

func openSQLite(tb testing.TB, p string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE IF NOT EXISTS docs(out TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, sha BLOB, model INTEGER, params INTEGER, outputs INTEGER, status INTEGER, error TEXT, extract_ms INTEGER, summarize_ms INTEGER, run INTEGER) WITHOUT ROWID`)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func fillSQLite(tb testing.TB, db *sql.DB, order []int) {
	for s := 0; s < len(order); s += batch {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT OR REPLACE INTO docs VALUES(?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			tb.Fatal(err)
		}
		for _, i := range order[s:min(s+batch, len(order))] {
			r := mkrec(i)
			if _, err := st.Exec(key(i), r.size, r.mtime, r.sha[:], r.model, r.params, r.outputs, r.status, nil, r.extractMS, r.sumMS, r.run); err != nil {
				tb.Fatal(err)
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}

func encode(r rec) []byte {
	var b bytes.Buffer
	for _, v := range []int64{r.size, r.mtime, r.model, r.params, r.outputs, r.status, r.extractMS, r.sumMS, r.run} {
		var t [binary.MaxVarintLen64]byte
		b.Write(t[:binary.PutVarint(t[:], v)])
	}
	b.Write(r.sha[:])
	return b.Bytes()
}

func openBolt(tb testing.TB, p string) *bolt.DB {
	db, err := bolt.Open(p, 0o644, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func fillBolt(tb testing.TB, db *bolt.DB, order []int) {
	for s := 0; s < len(order); s += batch {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("docs"))
			if err != nil {
				return err
			}
			b.FillPercent = 0.9
			for _, i := range order[s:min(s+batch, len(order))] {
				if err := b.Put([]byte(key(i)), encode(mkrec(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// completion order: roughly walk order with jitter (workers finish out of
// order), as a run writes.
func completionOrder() []int {
	o := make([]int, nDocs)
	for i := range o {
		o[i] = i
	}
	rng := rand.New(rand.NewSource(1))
	for i := range o {
		j := min(len(o)-1, i+rng.Intn(16))
		o[i], o[j] = o[j], o[i]
	}
	return o
}

func size(tb testing.TB, paths ...string) int64 {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func BenchmarkInsert1M(b *testing.B) {
	order := completionOrder()
	b.Run("sqlite", func(b *testing.B) {
		for range b.N {
			p := filepath.Join(b.TempDir(), "state.db")
			db := openSQLite(b, p)
			fillSQLite(b, db, order)
			db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			db.Close()
			b.ReportMetric(float64(size(b, p, p+"-wal"))/nDocs, "B/doc")
		}
	})
	b.Run("bbolt", func(b *testing.B) {
		for range b.N {
			p := filepath.Join(b.TempDir(), "state.db")
			db := openBolt(b, p)
			fillBolt(b, db, order)
			db.Close()
			b.ReportMetric(float64(size(b, p))/nDocs, "B/doc")
		}
	})
}

// BenchmarkLookup is one point lookup by path in walk order over a 1M
// document store (what the skip decision does for each file).
func BenchmarkLookup(b *testing.B) {
	order := completionOrder()
	b.Run("sqlite", func(b *testing.B) {
		p := filepath.Join(b.TempDir(), "state.db")
		db := openSQLite(b, p)
		fillSQLite(b, db, order)
		st, err := db.Prepare(`SELECT size, mtime, sha, model, params, outputs, status FROM docs WHERE out = ?`)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			var r rec
			var sha []byte
			if err := st.QueryRow(key(i%nDocs)).Scan(&r.size, &r.mtime, &sha, &r.model, &r.params, &r.outputs, &r.status); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
	})
	b.Run("bbolt", func(b *testing.B) {
		p := filepath.Join(b.TempDir(), "state.db")
		db := openBolt(b, p)
		fillBolt(b, db, order)
		b.ResetTimer()
		// one read transaction per walk batch of 1000, as a walker would
		for i := 0; i < b.N; i += batch {
			db.View(func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte("docs"))
				for k := i; k < min(i+batch, b.N); k++ {
					if v := bk.Get([]byte(key(k % nDocs))); v == nil {
						b.Fatal("missing")
					}
				}
				return nil
			})
		}
		b.StopTimer()
		db.Close()
	})
}
