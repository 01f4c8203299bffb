package pipeline

import (
	"context"
	"sync/atomic"
)

// job is one document for the worker pool.
type job struct {
	src source
	out string // output path relative to OutDir, without suffix
}

// dispatcher turns the walk's documents into jobs. It names outputs in walk
// order, over every document (all shards see the same names), so names are
// deterministic whatever the pool or the sharding does; it keeps the
// documents of this run's shard.
type dispatcher struct {
	shard    Shard
	events   Observer
	complete atomic.Bool
}

func newDispatcher(shard Shard, events Observer) *dispatcher {
	return &dispatcher{shard: shard, events: events}
}

// run queues a job for each source until sources is closed, then closes
// jobs. Once ctx ends it queues nothing more but still drains sources.
func (d *dispatcher) run(ctx context.Context, sources <-chan source, jobs chan<- job) {
	defer close(jobs)
	var n namer
	found := 0
	for src := range sources {
		out := n.name(src.Rel)
		if !d.shard.Has(src.Rel) {
			continue
		}
		found++
		d.events.Event(Event{Kind: EventFound, Path: src.Path, Found: found})
		select {
		case jobs <- job{src: src, out: out}:
		case <-ctx.Done():
		}
	}
	d.complete.Store(ctx.Err() == nil)
	d.events.Event(Event{Kind: EventWalkDone, Found: found})
}

// walkComplete reports whether every document was met: the walk ran to its
// end without being stopped.
func (d *dispatcher) walkComplete() bool { return d.complete.Load() }
