// Package pipeline wires llsum's stages: it walks the inputs, extracts each
// document, summarizes it with an infer.Summarizer in a bounded worker pool,
// and writes the per-document outputs and the run index. Memory stays flat
// whatever the number of files: the walk streams documents into the pool,
// and the run state lives in a database (state.go, internal/statedb) that
// is looked up document by document and written in batches; the index is
// written from it.
//
// A run is the wiring of named parts (runner.run): the walker (walk.go)
// streams the documents found under the inputs; the dispatcher
// (dispatch.go) names their outputs and queues this shard's; the
// workerPool (pool.go) runs each through process (process.go: hash, reuse,
// extract, summarize, write); the collector (collect.go) gathers the
// results and commits them to the state database. Progress goes to an Observer
// (events.go) as events; showing them is internal/ui's job.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/statedb"
	"github.com/llsum/llsum/internal/textutil"
)

// Config is one run's configuration.
type Config struct {
	// Inputs are the files and folders to summarize.
	Inputs []string
	// OutDir receives the outputs and index.json.
	OutDir string
	// Markdown and JSON select the per-document output formats.
	Markdown, JSON bool
	// Include and Exclude are glob patterns (see README).
	Include, Exclude []string
	// Jobs is the number of documents in flight (default: number of CPUs).
	Jobs int
	// Extract tunes text extraction.
	Extract extract.Options
	// Params shape the summaries.
	Params Parameters
	// Stdout, when set, receives each summary's Markdown as it completes.
	Stdout io.Writer
	// Observer is told about progress (internal/ui shows it); nil means
	// silent.
	Observer Observer
	// Version is recorded in index.json.
	Version string
	// Describe turns an error into the one-line text recorded in index.json
	// and the JSON log; the command line adds its hints (flags to change)
	// here. Nil means the error's own message on one line.
	Describe func(error) string

	// Force recomputes every document, even those unchanged since their
	// last summary in OutDir.
	Force bool
	// Prune removes documents whose input is gone from the state and the
	// index, and deletes their outputs.
	Prune bool
	// Grace is how long documents in flight may go on once ctx ends (an
	// interrupt): no new document starts, those in flight finish or are
	// abandoned after Grace. Zero abandons them at once.
	Grace time.Duration
	// Abort, when closed, abandons documents in flight at once (a second
	// interrupt during the grace period).
	Abort <-chan struct{}
	// Shard restricts the run to a stable part of the documents; the zero
	// value is the whole run.
	Shard Shard
	// Wait waits for another run holding the output folder's lock instead
	// of failing at once.
	Wait bool
	// Index is the index file's format: IndexJSON (the default when
	// empty), IndexJSONL or IndexNone.
	Index string
}

// Status of a document in a run.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	// StatusDeleted: the input of an earlier summary is gone (index only;
	// --prune removes the document instead).
	StatusDeleted = "deleted"
)

// Reasons given with a status.
const (
	ReasonUnchanged = "unchanged"
	ReasonReused    = "renamed or copied: summary reused"
	ReasonDeleted   = "input not found"
)

// DocResult is a document's line in index.json.
type DocResult struct {
	Source     string   `json:"source"`
	Path       string   `json:"path"`
	Outputs    []string `json:"outputs,omitempty"`
	Status     string   `json:"status"`
	Error      string   `json:"error,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	SHA256     string   `json:"sha256,omitempty"`
	Bytes      int64    `json:"bytes,omitempty"`
	Pages      int      `json:"pages,omitempty"`
	Characters int      `json:"characters,omitempty"`
	Warnings   int      `json:"warnings,omitempty"`
	// Faithfulness counts the summary's facts absent from the document
	// (they are among Warnings too).
	Faithfulness int     `json:"faithfulness_warnings,omitempty"`
	Timings      Timings `json:"timings"`
	// Tokens the summary took (absent for skipped documents).
	Tokens *TokenCounts `json:"tokens,omitempty"`

	err   error
	out   string           // the outputs' path, without suffix: the state key
	mtime int64            // the input's modification time, when it may be trusted (state.go)
	sum   *statedb.Summary // what made the outputs, when they are current
}

// Err returns the document's error, with its class, or nil.
func (r *DocResult) Err() error { return r.err }

// Index is the run index written to OUT/index.json.
type Index struct {
	SchemaVersion int             `json:"schema_version"`
	LlsumVersion  string          `json:"llsum_version,omitempty"`
	Started       time.Time       `json:"started"`
	Finished      time.Time       `json:"finished"`
	Inputs        []string        `json:"inputs"`
	Parameters    Parameters      `json:"parameters"`
	Model         infer.ModelInfo `json:"model"`
	Jobs          int             `json:"jobs"`
	Shard         string          `json:"shard,omitempty"`
	Counts        Counts          `json:"counts"`
	Interrupted   bool            `json:"interrupted,omitempty"`
	Errors        []string        `json:"errors,omitempty"`
	// Documents are sorted by path. In a Report they are there for runs of
	// up to 10,000 documents; beyond that, only in the index file (the
	// run keeps no per-document data it does not need).
	Documents []DocResult `json:"documents"`
}

// Counts sums the documents by status.
type Counts struct {
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Deleted int `json:"deleted,omitempty"`
}

func (c *Counts) add(status string) {
	switch status {
	case StatusOK:
		c.OK++
	case StatusFailed:
		c.Failed++
	case StatusSkipped:
		c.Skipped++
	case StatusDeleted:
		c.Deleted++
	}
}

// Report is what a run did.
type Report struct {
	Index Index
	// InputErrors are inputs that could not be read (missing paths,
	// unreadable folders): configuration errors, exit code 2.
	InputErrors []error
	// Fatal is the error that stopped the run early, if any.
	Fatal error
	// Interrupted is set when ctx ended before all documents were done.
	Interrupted bool
	// Warnings are problems that did not stop the run (a corrupt state
	// database, a batch of state that could not be committed).
	Warnings []error
	// IndexPath is the index file written ("" with IndexNone).
	IndexPath string

	// workersDone is closed when every worker has returned (abandoned
	// documents finish in the background).
	workersDone <-chan struct{}
}

// Run summarizes every document under cfg.Inputs with s. It returns an error
// only when the run cannot start (bad configuration, unwritable or locked
// output); per document failures are in the report.
//
// Runs are incremental: a document whose content, model and parameters are
// unchanged since its last summary in cfg.OutDir is skipped (see state.go).
// When ctx ends the run stops taking documents, lets those in flight finish
// within cfg.Grace, and writes the index of what completed.
func Run(ctx context.Context, cfg Config, s infer.Summarizer) (*Report, error) {
	return runAbandoning(ctx, cfg, s, abandonAfter)
}

// runAbandoning is Run with the time the run waits for abandoned documents.
func runAbandoning(ctx context.Context, cfg Config, s infer.Summarizer, abandon time.Duration) (*Report, error) {
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.NumCPU()
	}
	if !cfg.Markdown && !cfg.JSON {
		cfg.Markdown, cfg.JSON = true, true
	}
	if cfg.Describe == nil {
		cfg.Describe = func(err error) string { return textutil.OneLine(err.Error()) }
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if err := validatePatterns(append(append([]string{}, cfg.Include...), cfg.Exclude...)); err != nil {
		return nil, err
	}
	if cfg.Index == "" {
		cfg.Index = IndexJSON
	}
	if !slices.Contains(IndexFormats, cfg.Index) {
		return nil, fmt.Errorf("index format %q: want one of %v", cfg.Index, IndexFormats)
	}
	outInfo, err := prepareOut(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	unlock, err := lockOut(ctx, cfg.OutDir, cfg.Shard, cfg.Wait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Temporary files a killed run left: the root's and the state
	// folder's now, each output folder's when the run first looks in it.
	sweeper := newTempSweeper(cfg.Shard.Enabled())
	sweeper.sweepDir(cfg.OutDir)
	sweeper.sweepDir(filepath.Join(cfg.OutDir, StateDir))
	r := &runner{cfg: cfg, s: s, info: s.Info(), abandonAfter: abandon}
	if n := sweeper.removed.Load(); n > 0 {
		r.cfg.Observer.Event(Event{Kind: EventDebug, Path: cfg.OutDir, Message: fmt.Sprintf("removed %d temporary files left by an interrupted run", n)})
	}
	r.listings.sweeper = sweeper
	r.modelID = modelIdentity(r.info)
	r.paramsKey = cfg.Params.Key()
	r.st, err = openState(ctx, cfg.OutDir, cfg.Shard, r.warn)
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("output folder %s: %w", cfg.OutDir, err))
	}
	defer r.st.Close()
	// One extractor for the run: its PDF engines (a pool of PDFium
	// instances) are started once and shared by the workers.
	if r.cfg.Extract.Workers <= 0 {
		r.cfg.Extract.Workers = cfg.Jobs
	}
	r.ex = extract.New(r.cfg.Extract)
	defer r.ex.Close()
	return r.run(ctx, outInfo)
}

// lockOut takes the output folder's lock: OUT/.llsum/lock exclusively for a
// whole run; for a shard, that lock shared (shards run together, a whole
// run waits for them) and OUT/.llsum/lock-I-of-N exclusively.
func lockOut(ctx context.Context, out string, sh Shard, wait bool) (func(), error) {
	dir := filepath.Join(out, StateDir)
	// The lock and the state live in OUT/.llsum: a symbolic link planted
	// there would move them (and what is written into them) elsewhere.
	if fi, err := os.Lstat(dir); err == nil && (fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir()) {
		return nil, errclass.AsFatal(fmt.Errorf("output folder %s: %s is a symbolic link or not a folder; refusing to keep the lock and state through it", out, dir))
	}
	main := filepath.Join(dir, "lock")
	fail := func(err error) error {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Interrupted while waiting (--wait): an interruption, not a
			// configuration error.
			return fmt.Errorf("waiting for output folder %s: %w", out, err)
		}
		var be *dirlock.BusyError
		if errors.As(err, &be) {
			return errclass.AsFatal(fmt.Errorf("output folder %s is in use: %w", out, err))
		}
		return errclass.AsFatal(fmt.Errorf("output folder %s: %w", out, err))
	}
	if !sh.Enabled() {
		l, err := dirlock.Acquire(ctx, main, dirlock.Exclusive, wait, filepath.Join(dir, "lock-*-of-*"))
		if err != nil {
			return nil, fail(err)
		}
		return func() { l.Release() }, nil
	}
	l, err := dirlock.Acquire(ctx, main, dirlock.Shared, wait)
	if err != nil {
		return nil, fail(err)
	}
	ls, err := dirlock.Acquire(ctx, filepath.Join(dir, "lock"+sh.suffix()), dirlock.Exclusive, wait)
	if err != nil {
		l.Release()
		return nil, fail(err)
	}
	return func() { ls.Release(); l.Release() }, nil
}

// prepareOut creates the output folder and proves it writable.
func prepareOut(dir string) (os.FileInfo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("output folder %s: %w", dir, err))
	}
	f, err := os.CreateTemp(dir, ".llsum-probe-*")
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("output folder %s is not writable: %w", dir, err))
	}
	f.Close()
	os.Remove(f.Name())
	return os.Stat(dir)
}

type runner struct {
	cfg       Config
	s         infer.Summarizer
	ex        *extract.Extractor
	info      infer.ModelInfo
	modelID   string
	paramsKey string
	// listings answers whether outputs exist (reuse.go).
	listings listings
	// st is the state database; run is this run's id in it.
	st    statedb.Store
	runID int64
	// abandonAfter is abandonAfter (tests shorten it).
	abandonAfter time.Duration

	// mu guards the fields below (set from the walk and the workers) and
	// cfg.Stdout.
	mu          sync.Mutex
	inputErrors []error
	warnings    []error
	fatal       error
}

// walkAhead is how many found documents may wait for a worker.
const walkAhead = 1024

// abandonAfter is how long the run waits for documents still in flight
// once they have been told to abandon (a native call may not notice at
// once) before it writes the index without them.
const abandonAfter = 5 * time.Second

// The state database is written in batches of commitBatch rows, and at
// least every commitEvery, so that a run killed without warning loses at
// most this much bookkeeping (its outputs stay, and are skipped next time
// through their JSON).
const (
	commitBatch = 1000
	commitEvery = 5 * time.Second
)

func (r *runner) warn(err error) {
	r.mu.Lock()
	r.warnings = append(r.warnings, err)
	r.mu.Unlock()
	r.cfg.Observer.Event(Event{Kind: EventWarning, Err: err})
}

// inputError records an input path or folder that cannot be read.
func (r *runner) inputError(p string, err error) {
	err = fmt.Errorf("%s: %w", p, err)
	r.mu.Lock()
	r.inputErrors = append(r.inputErrors, err)
	r.mu.Unlock()
	r.cfg.Observer.Event(Event{Kind: EventInputError, Path: p, Err: err})
}

// fatalErr is the error that stopped the run, if any.
func (r *runner) fatalErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

func (r *runner) setFatal(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
}

// commit writes a batch of state rows with the run's counts; a failure is
// a warning (the outputs are written, only the next run's skipping and
// this run's index suffer).
func (r *runner) commit(ctx context.Context, run statedb.Run, docs []statedb.Doc) {
	if err := r.st.Commit(context.WithoutCancel(ctx), run, docs); err != nil {
		r.warn(err)
	}
}

// run wires the stages: the walker finds documents, the dispatcher names
// them and queues this shard's for the worker pool, and the collector
// gathers the results; finish then settles the state and writes the index.
func (r *runner) run(ctx context.Context, outInfo os.FileInfo) (*Report, error) {
	started := time.Now()
	idx := r.newIndex(started)
	header, _ := json.Marshal(idx)
	var err error
	if r.runID, err = r.st.BeginRun(ctx, statedb.Run{Started: started, Shard: r.cfg.Shard.String(), Header: header}); err != nil {
		return nil, errclass.AsFatal(err)
	}
	// runCtx ends when no new document may start; docCtx when documents in
	// flight must stop; collectCtx when the collector stops listening.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	docCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	collectCtx, stopCollecting := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCollecting()
	finished := make(chan struct{})
	defer close(finished)
	go r.watchInterrupt(ctx, abort, finished)

	// The walk runs up to walkAhead documents ahead of the pool, so the
	// progress total is right for most folders (and settles early for big
	// ones) while memory stays bounded.
	sources := make(chan source)
	jobs := make(chan job, walkAhead)
	results := make(chan DocResult)
	w := &walker{include: r.cfg.Include, exclude: r.cfg.Exclude, skipDirs: []os.FileInfo{outInfo}, onError: r.inputError}
	go func() {
		defer close(sources)
		w.walk(runCtx, r.cfg.Inputs, sources)
	}()
	disp := newDispatcher(r.cfg.Shard, r.cfg.Observer)
	go disp.run(runCtx, sources, jobs)
	pool := &workerPool{size: r.cfg.Jobs, process: r.process, events: r.cfg.Observer,
		onFatal: func(err error) { r.setFatal(err); cancelRun(); abort() }}
	workersDone := pool.start(runCtx, docCtx, collectCtx, jobs, results)

	col := &collector{events: r.cfg.Observer, run: r.runID, commitBatch: commitBatch, commitEvery: commitEvery,
		abandonAfter: r.abandonAfter, commit: func(c Counts, docs []statedb.Doc) {
			r.commit(ctx, statedb.Run{ID: r.runID, Counts: statedb.Counts(c)}, docs)
		}}
	col.collect(docCtx, results)
	stopCollecting()
	return r.finish(ctx, idx, disp, col, workersDone), nil
}

// finish settles the state (documents not met by a complete walk are
// deleted, or pruned), writes the index from the state database and
// reports the run.
func (r *runner) finish(ctx context.Context, idx Index, disp *dispatcher, col *collector, workersDone <-chan struct{}) *Report {
	rep := &Report{workersDone: workersDone, Interrupted: ctx.Err() != nil}
	r.mu.Lock()
	rep.InputErrors = slices.Clone(r.inputErrors)
	complete := disp.walkComplete() && r.fatal == nil && len(rep.InputErrors) == 0 && !rep.Interrupted
	r.mu.Unlock()
	if complete {
		r.deleted(ctx, col)
	}

	r.mu.Lock()
	rep.Fatal = r.fatal
	r.mu.Unlock()
	idx.Counts = col.counts
	idx.Interrupted = rep.Interrupted
	for _, e := range rep.InputErrors {
		idx.Errors = append(idx.Errors, r.cfg.Describe(e))
	}
	if rep.Fatal != nil {
		idx.Errors = append(idx.Errors, r.cfg.Describe(rep.Fatal))
	}
	idx.Finished = time.Now().UTC()
	status := statedb.RunComplete
	switch {
	case rep.Interrupted:
		status = statedb.RunInterrupted
	case rep.Fatal != nil:
		status = statedb.RunFailed
	}
	header, _ := json.Marshal(idx)
	r.commit(ctx, statedb.Run{ID: r.runID, Finished: idx.Finished, Status: status, Counts: statedb.Counts(idx.Counts), Header: header}, col.batch)
	col.batch = nil

	path, err := writeIndex(r.cfg.OutDir, r.cfg.Shard, r.cfg.Index, &idx, r.runDocs(context.WithoutCancel(ctx)))
	idx.Documents = col.docs.documents()
	rep.Index, rep.IndexPath = idx, path
	if err != nil && rep.Fatal == nil {
		rep.Fatal = errclass.AsFatal(fmt.Errorf("write index %s: %w", path, err))
	}
	r.mu.Lock()
	rep.Warnings = slices.Clone(r.warnings)
	r.mu.Unlock()
	r.cfg.Observer.Event(Event{Kind: EventFinish, Report: rep})
	return rep
}

// runDocs are the documents this run met, from the state database, sorted
// by path.
func (r *runner) runDocs(ctx context.Context) docSource {
	return func(fn func(*DocResult) error) error {
		return r.st.Docs(ctx, statedb.Filter{Run: r.runID}, func(d *statedb.Doc) error {
			res := resultFromDoc(d)
			return fn(&res)
		})
	}
}

// newIndex is the run's index, without its documents and counts.
func (r *runner) newIndex(started time.Time) Index {
	return Index{
		SchemaVersion: SchemaVersion,
		LlsumVersion:  r.cfg.Version,
		Started:       started.UTC(),
		Inputs:        r.cfg.Inputs,
		Parameters:    r.cfg.Params,
		Model:         r.info,
		Jobs:          r.cfg.Jobs,
		Shard:         r.cfg.Shard.String(),
	}
}

// watchInterrupt turns the end of ctx into the abort of documents in
// flight: after the grace period, or at once on cfg.Abort.
func (r *runner) watchInterrupt(ctx context.Context, abort func(), finished <-chan struct{}) {
	select {
	case <-ctx.Done():
	case <-finished:
		return
	}
	r.cfg.Observer.Event(Event{Kind: EventInterrupt, Grace: r.cfg.Grace})
	if r.cfg.Grace > 0 {
		t := time.NewTimer(r.cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.cfg.Abort:
		case <-finished:
			return
		}
	}
	abort()
}

// deleted reports the documents of earlier runs whose input the (complete)
// walk did not meet. Without Prune they stay, listed in the index as
// deleted; with Prune their outputs are removed and their rows go.
func (r *runner) deleted(ctx context.Context, col *collector) {
	col.flush()
	var drop []string
	err := r.st.Unmet(context.WithoutCancel(ctx), r.runID, func(d *statedb.Doc) error {
		// No walked input leads to this folder: its stale temporary
		// files go now.
		r.listings.sweep(filepath.Dir(filepath.Join(r.cfg.OutDir, filepath.FromSlash(d.Out))))
		res := DocResult{Source: d.Source, Path: d.Path, Outputs: d.Summary.Outputs, Status: StatusDeleted,
			Reason: ReasonDeleted, SHA256: d.Summary.SHA256, Bytes: d.Size}
		if r.cfg.Prune {
			if r.prune(d) {
				drop = append(drop, d.Out)
			}
			res.Reason = ReasonDeleted + "; pruned"
		} else {
			row := *d
			row.Status, row.Reason, row.Error, row.Run, row.Changed = StatusDeleted, ReasonDeleted, "", r.runID, r.runID
			col.counts.add(StatusDeleted)
			col.docs.add(res)
			col.put(row)
		}
		r.cfg.Observer.Event(Event{Kind: EventDeleted, Path: res.Path, Doc: &res})
		return nil
	})
	if err != nil {
		r.warn(err)
	}
	if len(drop) > 0 {
		if err := r.st.Delete(context.WithoutCancel(ctx), drop); err != nil {
			r.warn(err)
		}
	}
}

// prune removes the outputs of a deleted document and reports whether all
// are gone (its row may go).
func (r *runner) prune(d *statedb.Doc) bool {
	ok := true
	for _, o := range d.Summary.Outputs {
		if !outputOf(d.Out, o) {
			continue
		}
		p := filepath.Join(r.cfg.OutDir, filepath.FromSlash(o))
		err := insideOut(r.cfg.OutDir, o)
		if err == nil {
			err = os.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.warn(fmt.Errorf("prune %s: %w", p, err))
			ok = false
		}
	}
	return ok
}
