package pipeline

import (
	"context"
	"sync"

	"github.com/llsum/llsum/internal/errclass"
)

// workerPool runs jobs through process, size at a time.
type workerPool struct {
	size    int
	process func(ctx context.Context, j job) DocResult
	events  Observer
	// onFatal is told of a document error that stops the run (the output
	// folder is unusable); it may be called by several workers.
	onFatal func(error)
}

// start starts the workers. They take jobs until jobs is closed, skipping
// (draining) them once runCtx ends; documents run under docCtx, which ends
// when those in flight must be abandoned. Each result goes to results
// unless collectCtx ends first (the collector stopped listening). done is
// closed, and then results, when every worker has returned.
func (p *workerPool) start(runCtx, docCtx, collectCtx context.Context, jobs <-chan job, results chan<- DocResult) (done <-chan struct{}) {
	var wg sync.WaitGroup
	for range p.size {
		wg.Go(func() { p.work(runCtx, docCtx, collectCtx, jobs, results) })
	}
	d := make(chan struct{})
	go func() {
		wg.Wait()
		close(d)
		close(results)
	}()
	return d
}

func (p *workerPool) work(runCtx, docCtx, collectCtx context.Context, jobs <-chan job, results chan<- DocResult) {
	for j := range jobs {
		if runCtx.Err() != nil {
			continue // drain
		}
		p.events.Event(Event{Kind: EventStart, Path: j.src.Path})
		res := p.process(docCtx, j)
		if errclass.IsFatal(res.err) {
			p.onFatal(res.err)
		}
		select {
		case results <- res:
		case <-collectCtx.Done():
			return
		}
	}
}
