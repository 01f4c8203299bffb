package pipeline

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
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

// The collector keeps results in completion order: events and fresh state
// records as they arrive, old records after them in their old order minus
// the superseded and dropped ones; the index lists documents by path.
func TestCollectorOrder(t *testing.T) {
	old := newState([]stateRecord{{Out: "a", Path: "a.txt"}, {Out: "b", Path: "b.txt"}, {Out: "c", Path: "c.txt"}})
	var log eventLog
	col := &collector{old: old, docs: newDocListOf(nil), events: &log, save: func([]stateRecord) {},
		checkpointEvery: time.Hour, abandonAfter: time.Hour}
	results := make(chan DocResult)
	go func() {
		defer close(results)
		results <- DocResult{Path: "z.txt", Status: StatusOK, rec: &stateRecord{Out: "z", Path: "z.txt"}}
		results <- DocResult{Path: "abandoned.txt"} // no status: abandoned
		results <- DocResult{Path: "c.txt", Status: StatusOK, rec: &stateRecord{Out: "c", Path: "c.txt"}}
		results <- DocResult{Path: "m.txt", Status: StatusFailed, Error: "m.txt: broken", err: errors.New("broken")}
		results <- DocResult{Path: "b.txt", Status: StatusSkipped, Reason: ReasonUnchanged}
	}()
	col.collect(context.Background(), results)

	if want := []string{"z.txt", "c.txt", "m.txt", "b.txt"}; !slices.Equal(log.events, want) {
		t.Errorf("events %v, want %v", log.events, want)
	}
	if want := (Counts{OK: 2, Failed: 1, Skipped: 1}); col.counts != want {
		t.Errorf("counts %+v, want %+v", col.counts, want)
	}
	var paths []string
	for _, d := range col.docs.documents() {
		paths = append(paths, d.Path)
		if d.err != nil || d.rec != nil {
			t.Errorf("%s: error or record kept in the index list", d.Path)
		}
	}
	if want := []string{"b.txt", "c.txt", "m.txt", "z.txt"}; !slices.Equal(paths, want) {
		t.Errorf("index documents %v, want %v", paths, want)
	}
	outs := func(recs []stateRecord) []string {
		var o []string
		for _, r := range recs {
			o = append(o, r.Out)
		}
		return o
	}
	if got, want := outs(col.merged(nil)), []string{"z", "c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("merged state %v, want %v", got, want)
	}
	if got, want := outs(col.merged([]bool{true, false, false})), []string{"z", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("merged state dropping a %v, want %v", got, want)
	}
}

// Once documents are abandoned the collector waits abandonAfter for them,
// then stops even though the pool has not closed results; meanwhile it
// saves the state at each checkpoint.
func TestCollectorAbandonAndCheckpoint(t *testing.T) {
	old := newState([]stateRecord{{Out: "a"}})
	saved := make(chan []stateRecord, 100)
	col := &collector{old: old, docs: newDocListOf(nil), events: nopObserver{},
		save:            func(r []stateRecord) { saved <- r },
		checkpointEvery: time.Millisecond, abandonAfter: 20 * time.Millisecond}
	results := make(chan DocResult) // never closed: a document hangs
	docCtx, abort := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		col.collect(docCtx, results)
		close(done)
	}()
	results <- DocResult{Path: "b.txt", Status: StatusOK, rec: &stateRecord{Out: "b"}}
	for r := range saved {
		if len(r) == 2 && r[0].Out == "b" && r[1].Out == "a" {
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
