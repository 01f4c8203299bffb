package pipeline

import (
	"context"
	"path/filepath"
	"time"
)

// collector gathers the pool's results in the order they complete: it
// counts them, reports each to the observer, lists it for the index and
// keeps the state records of the summaries made current, saving the state
// every checkpointEvery so that a run killed without warning loses little.
type collector struct {
	old    *state
	docs   *docList
	events Observer
	// save saves the state (errors are the caller's to report).
	save            func(records []stateRecord)
	checkpointEvery time.Duration
	abandonAfter    time.Duration

	counts Counts
	// fresh are the records of summaries made current by this run, in the
	// order they completed; replaced[i] says old record i is superseded by
	// one of them.
	fresh    []stateRecord
	replaced []bool
}

// collect takes results until results is closed, or until abandonAfter has
// passed since docCtx ended (documents in flight were told to abandon and
// some have not returned: the run goes on without them).
func (c *collector) collect(docCtx context.Context, results <-chan DocResult) {
	if c.replaced == nil {
		c.replaced = make([]bool, len(c.old.records))
	}
	checkpoint := time.NewTicker(c.checkpointEvery)
	defer checkpoint.Stop()
	var abandon <-chan time.Time
	aborted := docCtx.Done()
	for {
		select {
		case res, ok := <-results:
			if !ok {
				return
			}
			c.add(res)
		case <-checkpoint.C:
			c.save(c.merged(nil))
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
	if res.rec != nil {
		c.fresh = append(c.fresh, *res.rec)
		if i, ok := c.old.byOut[res.rec.Out]; ok {
			c.replaced[i] = true
		}
		res.rec = nil
	}
	res.Path = filepath.ToSlash(res.Path)
	res.err = nil
	c.docs.add(res)
}

// merged is the state to save: this run's records, then the old records
// neither superseded nor dropped (drop may be nil), in their old order.
func (c *collector) merged(drop []bool) []stateRecord {
	out := make([]stateRecord, 0, len(c.fresh)+len(c.old.records))
	out = append(out, c.fresh...)
	for i := range c.old.records {
		if c.replaced[i] || (drop != nil && drop[i]) {
			continue
		}
		out = append(out, c.old.records[i])
	}
	return out
}
