package pipeline

import (
	"context"
	"path/filepath"
	"time"

	"github.com/llsum/llsum/internal/statedb"
)

// collector gathers the pool's results in the order they complete: it
// counts them, reports each to the observer, keeps the first ones for the
// Report and writes each document's row to the state database in batches
// (commitBatch documents, or whatever came in commitEvery), one
// transaction each, so that a run killed without warning loses little and
// memory does not grow with the number of documents.
type collector struct {
	events Observer
	// commit writes a batch of rows with the run's counts (errors are the
	// caller's to report).
	commit       func(counts Counts, docs []statedb.Doc)
	run          int64
	commitBatch  int
	commitEvery  time.Duration
	abandonAfter time.Duration

	counts Counts
	docs   reportDocs
	batch  []statedb.Doc
}

// collect takes results until results is closed, or until abandonAfter has
// passed since docCtx ended (documents in flight were told to abandon and
// some have not returned: the run goes on without them).
func (c *collector) collect(docCtx context.Context, results <-chan DocResult) {
	tick := time.NewTicker(c.commitEvery)
	defer tick.Stop()
	var abandon <-chan time.Time
	aborted := docCtx.Done()
	for {
		select {
		case res, ok := <-results:
			if !ok {
				return
			}
			c.add(res)
		case <-tick.C:
			c.flush()
		case <-aborted:
			aborted = nil
			t := time.NewTimer(c.abandonAfter)
			defer t.Stop()
			abandon = t.C
		case <-abandon:
			return
		}
	}
}

// add takes one document's result.
func (c *collector) add(res DocResult) {
	if res.Status == "" {
		return // abandoned: neither done nor failed
	}
	c.counts.add(res.Status)
	c.events.Event(Event{Kind: EventDone, Path: res.Path, Doc: &res, Err: res.err})
	res.Path = filepath.ToSlash(res.Path)
	c.put(docFromResult(&res, c.run))
	res.sum, res.err = nil, nil
	c.docs.add(res)
}

// put queues a row, committing the batch when it is full.
func (c *collector) put(d statedb.Doc) {
	c.batch = append(c.batch, d)
	if len(c.batch) >= c.commitBatch {
		c.flush()
	}
}

// flush commits the rows queued.
func (c *collector) flush() {
	c.commit(c.counts, c.batch)
	c.batch = c.batch[:0]
}
