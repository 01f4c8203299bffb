package cron_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringBatchCommit kills the run with SIGKILL while the state
// database commits a batch (the moment its write-ahead log grows by more
// than a page or two), several times over, then runs to the end. After
// each kill the database opens clean (llsum status reads it), and the
// final run skips exactly the documents whose outputs were all written before
// (whether their rows were committed or not: their JSON outputs stand in)
// and summarizes the rest: nothing is lost, nothing done twice, and the
// index lists each document once; the temporary files of outputs being
// written when the process was killed are swept by the next run.
func TestKillDuringBatchCommit(t *testing.T) {
	dir := t.TempDir()
	const n = 2600
	writeDocs(t, filepath.Join(dir, "in"), n, 2)
	wal := filepath.Join(dir, "out", ".llsum", "state.db-wal")
	kills := 0
	for round := 0; round < 3; round++ {
		cmd := llsum(t, dir, "-j", "2", "-o", "out", "in")
		events, wait := startLogged(t, cmd)
		// Armed once a document is done: the database's creation and the
		// run's row are committed by then, so the next growth of the log
		// is a batch of documents.
		var armed atomic.Bool
		go func() {
			for e := range events {
				if e.Event == "done" || e.Event == "skipped" {
					armed.Store(true)
				}
			}
		}()
		exited := make(chan result, 1)
		go func() { exited <- wait() }()
		killed := false
		var last int64 = -1
		tick := time.NewTicker(200 * time.Microsecond)
	poll:
		for {
			select {
			case <-exited:
				break poll
			case <-tick.C:
			}
			fi, err := os.Stat(wal)
			if err != nil || !armed.Load() {
				continue
			}
			// The first rows of a run (its run row) are small; a batch of
			// documents writes many pages.
			if last >= 0 && fi.Size() > last+8192 {
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				killed = true
				break poll
			}
			last = fi.Size()
		}
		tick.Stop()
		if !killed {
			break // the run finished before a batch was seen: nothing to kill
		}
		kills++
		if st := status(t, dir, "out"); st.LastRun == nil {
			t.Fatalf("round %d: no run recorded after the kill", round)
		}
	}
	if kills == 0 {
		t.Fatal("never caught a batch commit to kill")
	}
	written := 0
	filepath.WalkDir(filepath.Join(dir, "out"), func(p string, d os.DirEntry, err error) error {
		// The Markdown is written after the JSON: a document with it has
		// both outputs (a kill between the two leaves one to redo).
		if err == nil && strings.HasSuffix(p, ".txt.md") {
			written++
		}
		return nil
	})
	res := run(t, dir, "-j", "2", "-o", "out", "in")
	c := res.summary(t)
	if res.code != 0 || c["skipped"] != written || c["ok"] != n-written {
		t.Fatalf("after %d kills: exit %d, counts %v; want %d skipped (outputs written before) and %d ok\n%s",
			kills, res.code, c, written, n-written, lastLines(res.stderr, 5))
	}
	idx := readIndex(t, filepath.Join(dir, "out", "index.json"))
	seen := map[string]bool{}
	for _, d := range idx.Documents {
		if seen[d.Path] {
			t.Errorf("%s listed twice in the index", d.Path)
		}
		seen[d.Path] = true
	}
	if len(seen) != n {
		t.Errorf("index lists %d documents, want %d", len(seen), n)
	}
	if st := status(t, dir, "out"); st.Documents["ok"]+st.Documents["skipped"] != n || st.FailedTotal != 0 {
		t.Errorf("state after the kills: %+v, want %d documents ok or skipped", st, n)
	}
	killedRuns := strings.Count(llsumCmd(t, dir, "history", "--json", "out"), `"status":"killed"`)
	if killedRuns != kills {
		t.Errorf("history shows %d killed runs, want %d", killedRuns, kills)
	}
	checkClean(t, filepath.Join(dir, "out"))
	t.Logf("%d kills during batch commits; %d documents were written before the last run", kills, written)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
