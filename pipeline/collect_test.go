package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/statedb"
)

// eventLog records the kinds and paths of the events it is told about.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) Event(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e.Path)
}

// batches records the batches the collector commits.
type batches struct {
	mu   sync.Mutex
	outs [][]string
}

func (b *batches) commit(_ Counts, docs []statedb.Doc) {
	var o []string
	for _, d := range docs {
		o = append(o, d.Out)
	}
	b.mu.Lock()
	b.outs = append(b.outs, o)
	b.mu.Unlock()
}

// The collector keeps results in completion order: events and state rows
// as they arrive, committed in batches of commitBatch; the Report lists
// documents by path.
func TestCollectorOrder(t *testing.T) {
	var log eventLog
	var b batches
	col := &collector{events: &log, commit: b.commit, run: 7, commitBatch: 2,
		commitEvery: time.Hour, abandonAfter: time.Hour}
	results := make(chan DocResult)
	go func() {
		defer close(results)
		results <- DocResult{Path: "z.txt", Status: StatusOK, out: "z", sum: &statedb.Summary{Outputs: []string{"z.md"}}}
		results <- DocResult{Path: "abandoned.txt"} // no status: abandoned
		results <- DocResult{Path: "c.txt", Status: StatusOK, out: "c", sum: &statedb.Summary{Outputs: []string{"c.md"}}}
		results <- DocResult{Path: "m.txt", Status: StatusFailed, out: "m", Error: "m.txt: broken", err: errors.New("broken")}
		results <- DocResult{Path: "b.txt", Status: StatusSkipped, out: "b", Reason: ReasonUnchanged}
	}()
	col.collect(context.Background(), results)
	col.flush()

	if want := []string{"z.txt", "c.txt", "m.txt", "b.txt"}; !slices.Equal(log.events, want) {
		t.Errorf("events %v, want %v", log.events, want)
	}
	if want := (Counts{OK: 2, Failed: 1, Skipped: 1}); col.counts != want {
		t.Errorf("counts %+v, want %+v", col.counts, want)
	}
	var paths []string
	for _, d := range col.docs.documents() {
		paths = append(paths, d.Path)
		if d.err != nil || d.sum != nil {
			t.Errorf("%s: error or summary kept in the report list", d.Path)
		}
	}
	if want := []string{"b.txt", "c.txt", "m.txt", "z.txt"}; !slices.Equal(paths, want) {
		t.Errorf("report documents %v, want %v", paths, want)
	}
	if got, want := fmt.Sprint(b.outs), "[[z c] [m b] []]"; got != want {
		t.Errorf("committed batches %v, want %v", got, want)
	}
}

// Once documents are abandoned the collector waits abandonAfter for them,
// then stops even though the pool has not closed results; meanwhile it
// commits what it has every commitEvery.
func TestCollectorAbandonAndCheckpoint(t *testing.T) {
	saved := make(chan []statedb.Doc, 100)
	col := &collector{events: nopObserver{}, commitBatch: 1000,
		commit:      func(_ Counts, d []statedb.Doc) { saved <- slices.Clone(d) },
		commitEvery: time.Millisecond, abandonAfter: 20 * time.Millisecond}
	results := make(chan DocResult) // never closed: a document hangs
	docCtx, abort := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		col.collect(docCtx, results)
		close(done)
	}()
	results <- DocResult{Path: "b.txt", Status: StatusOK, out: "b"}
	for r := range saved {
		if len(r) == 1 && r[0].Out == "b" {
			break // a checkpoint after b.txt
		}
	}
	select {
	case <-done:
		t.Fatal("collector stopped before documents were abandoned")
	case <-time.After(50 * time.Millisecond):
	}
	abort()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("collector still waiting long after abandonAfter")
	}
}
