package dbbench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func rssKiB() (cur, hwm string) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			cur = strings.TrimSpace(l[6:])
		}
		if strings.HasPrefix(l, "VmHWM:") {
			hwm = strings.TrimSpace(l[6:])
		}
	}
	return
}

// TestRSS: one pass of point lookups over 1M documents, the incremental
// run's pattern; prints the process's resident memory after it. Run one
// store per process: DBBENCH_STORE=sqlite|bbolt.
func TestRSS(t *testing.T) {
	store := os.Getenv("DBBENCH_STORE")
	if store == "" {
		t.Skip("DBBENCH_STORE not set")
	}
	order := completionOrder()
	p := filepath.Join(t.TempDir(), "state.db")
	switch store {
	case "sqlite":
		db := openSQLite(t, p)
		fillSQLite(t, db, order)
		db.Close()
		db = openSQLite(t, p)
		c0, _ := rssKiB()
		t0 := time.Now()
		conn, _ := db.Begin()
		st, _ := conn.Prepare(`SELECT size, mtime, sha, model, params, outputs, status FROM docs WHERE out = ?`)
		for i := 0; i < nDocs; i++ {
			if i%batch == 0 && i > 0 {
				conn.Commit()
				conn, _ = db.Begin()
				st, _ = conn.Prepare(`SELECT size, mtime, sha, model, params, outputs, status FROM docs WHERE out = ?`)
			}
			var r rec
			var sha []byte
			if err := st.QueryRow(key(i)).Scan(&r.size, &r.mtime, &sha, &r.model, &r.params, &r.outputs, &r.status); err != nil {
				t.Fatal(err)
			}
		}
		conn.Commit()
		d := time.Since(t0)
		c1, h := rssKiB()
		t.Logf("sqlite: 1M lookups (read tx per 1000) %v = %v/lookup; RSS before %s after %s, HWM %s", d, d/nDocs, c0, c1, h)
	case "bbolt":
		db := openBolt(t, p)
		fillBolt(t, db, order)
		db.Close()
		db, _ = bolt.Open(p, 0o644, nil)
		c0, _ := rssKiB()
		t0 := time.Now()
		for i := 0; i < nDocs; i += batch {
			db.View(func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte("docs"))
				for k := i; k < min(i+batch, nDocs); k++ {
					if bk.Get([]byte(key(k))) == nil {
						t.Fatal("missing")
					}
				}
				return nil
			})
		}
		d := time.Since(t0)
		c1, h := rssKiB()
		t.Logf("bbolt: 1M lookups %v = %v/lookup; RSS before %s after %s, HWM %s", d, d/nDocs, c0, c1, h)
	}
}
