package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/llsum/llsum/internal/errclass"
)

// The dispatcher names outputs over every document, so a shard's names are
// those the whole run gives; it queues only the shard's documents and says
// the walk was complete.
func TestDispatcherShard(t *testing.T) {
	var rels []string
	for i := range 40 {
		rels = append(rels, fmt.Sprintf("d%02d.txt", i%20)) // each name twice: collisions
	}
	names := func(sh Shard) ([]string, *dispatcher) {
		sources := make(chan source)
		jobs := make(chan job, len(rels))
		d := newDispatcher(sh, nopObserver{})
		go func() {
			defer close(sources)
			for _, r := range rels {
				sources <- source{Path: "in/" + r, Rel: r}
			}
		}()
		d.run(context.Background(), sources, jobs)
		var outs []string
		for j := range jobs {
			outs = append(outs, j.out)
		}
		return outs, d
	}
	all, d := names(Shard{})
	if len(all) != len(rels) || !d.walkComplete() {
		t.Fatalf("whole run: %d jobs (want %d), complete %v", len(all), len(rels), d.walkComplete())
	}
	var union []string
	for i := range 3 {
		part, _ := names(Shard{Index: i, Count: 3})
		for _, o := range part {
			if !slices.Contains(all, o) {
				t.Errorf("shard %d names %q, not a name of the whole run", i, o)
			}
		}
		union = append(union, part...)
	}
	slices.Sort(union)
	sorted := slices.Sorted(slices.Values(all))
	if !slices.Equal(union, sorted) {
		t.Errorf("shards together %v, want %v", union, sorted)
	}
}

// A fatal document error is reported, and the worker drains the queue once
// the run context ends (one worker, so which documents ran is certain);
// results and done are closed when every worker has returned.
func TestWorkerPoolFatalDrains(t *testing.T) {
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	var processed, fatals atomic.Int32
	fatal := errclass.AsFatal(errors.New("write out/x.md: no space left on device"))
	p := &workerPool{size: 1, events: nopObserver{},
		process: func(ctx context.Context, j job) DocResult {
			processed.Add(1)
			if j.out == "fatal" {
				return DocResult{Path: j.out, Status: StatusFailed, err: fatal}
			}
			return DocResult{Path: j.out, Status: StatusOK}
		},
		onFatal: func(err error) {
			if !errors.Is(err, fatal) {
				t.Errorf("onFatal(%v)", err)
			}
			fatals.Add(1)
			cancelRun()
		}}
	jobs := make(chan job, 100)
	jobs <- job{out: "fatal"}
	for i := range 99 {
		jobs <- job{out: fmt.Sprint(i)}
	}
	close(jobs)
	results := make(chan DocResult)
	done := p.start(runCtx, context.Background(), context.Background(), jobs, results)
	n := 0
	for range results {
		n++
	}
	<-done
	if fatals.Load() != 1 {
		t.Errorf("onFatal called %d times, want 1", fatals.Load())
	}
	if processed.Load() != 1 || n != 1 {
		t.Errorf("%d processed, %d results: want only the fatal one", processed.Load(), n)
	}
}

// When the collector stops listening, workers return without sending.
func TestWorkerPoolCollectorGone(t *testing.T) {
	collectCtx, stop := context.WithCancel(context.Background())
	stop()
	p := &workerPool{size: 3, events: nopObserver{}, onFatal: func(error) {},
		process: func(context.Context, job) DocResult { return DocResult{Status: StatusOK} }}
	jobs := make(chan job, 3)
	for range 3 {
		jobs <- job{}
	}
	close(jobs)
	results := make(chan DocResult) // nobody reads
	<-p.start(context.Background(), context.Background(), collectCtx, jobs, results)
}
