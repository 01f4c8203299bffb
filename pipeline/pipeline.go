// Package pipeline wires llsum's stages: it walks the inputs, extracts each
// document, summarizes it with an infer.Summarizer in a bounded worker pool,
// and writes the per-document outputs and the run index. Memory stays
// bounded whatever the number of files: the walk streams documents into the
// pool and only one small record per document is kept for the index.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/atomicfile"
	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/errclass"
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
	// Observer is told about progress; nil means silent.
	Observer Observer
	// Version is recorded in index.json.
	Version string

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

	err error
	rec *stateRecord // the state record for a summary now current
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
	// file, a state file that could not be saved).
	Warnings []error

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
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if err := validatePatterns(append(append([]string{}, cfg.Include...), cfg.Exclude...)); err != nil {
		return nil, err
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
	r := &runner{cfg: cfg, s: s, info: s.Info(), abandonAfter: abandon}
	r.modelID = modelIdentity(r.info)
	r.paramsKey = cfg.Params.Key()
	r.statePath = filepath.Join(cfg.OutDir, StateDir, "state"+cfg.Shard.suffix()+".json")
	r.old, err = loadState(r.statePath)
	if err != nil {
		r.warn(err)
	}
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
	main := filepath.Join(dir, "lock")
	fail := func(err error) error {
		var be *dirlock.BusyError
		if errors.As(err, &be) {
			return errclass.AsFatal(fmt.Errorf("output folder %s is in use: %w; wait for it to finish, or use --wait", out, err))
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
	statePath string
	// old is the state as the run found it; read-only during the run.
	old *state
	// abandonAfter is abandonAfter (tests shorten it).
	abandonAfter time.Duration

	mu          sync.Mutex
	inputErrors []error
	warnings    []error
	fatal       error
}

type job struct {
	src source
	out string // output path relative to OutDir, without suffix
}

// walkAhead is how many found documents may wait for a worker.
const walkAhead = 1024

// abandonAfter is how long the run waits for documents still in flight
// once they have been told to abandon (a native call may not notice at
// once) before it writes the index without them.
const abandonAfter = 5 * time.Second

// checkpointEvery is how often the state is saved during a run, so that a
// run killed without warning loses at most this much work.
const checkpointEvery = 30 * time.Second

func (r *runner) warn(err error) {
	r.mu.Lock()
	r.warnings = append(r.warnings, err)
	r.mu.Unlock()
	r.cfg.Observer.Event(Event{Kind: EventWarning, Err: err})
}

func (r *runner) setFatal(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
}

func (r *runner) run(ctx context.Context, outInfo os.FileInfo) (*Report, error) {
	started := time.Now()
	// runCtx ends when no new document may start; abortCtx when documents
	// in flight must stop.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	abortCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	finished := make(chan struct{})
	defer close(finished)
	go r.watchInterrupt(ctx, abort, finished)

	w := &walker{
		include:  r.cfg.Include,
		exclude:  r.cfg.Exclude,
		skipDirs: []os.FileInfo{outInfo},
		onError: func(p string, err error) {
			err = fmt.Errorf("%s: %w", p, err)
			r.mu.Lock()
			r.inputErrors = append(r.inputErrors, err)
			r.mu.Unlock()
			r.cfg.Observer.Event(Event{Kind: EventInputError, Path: p, Err: err})
		},
	}

	sources := make(chan source)
	// The walk runs up to walkAhead documents ahead of the pool, so the
	// progress total is right for most folders (and settles early for big
	// ones) while memory stays bounded.
	jobs := make(chan job, walkAhead)
	results := make(chan DocResult)
	quit := make(chan struct{}) // closed when the collector stops listening
	// seen[i] is set when the walk meets the document of old record i.
	seen := make([]bool, len(r.old.records))
	var walkDone atomic.Bool

	go func() {
		defer close(sources)
		w.walk(runCtx, r.cfg.Inputs, sources)
	}()
	// The dispatcher names outputs in walk order, over every document (all
	// shards see the same names), so names are deterministic whatever the
	// pool or the sharding does.
	go func() {
		defer close(jobs)
		var n namer
		found := 0
		for src := range sources {
			out := n.name(src.Rel)
			if !r.cfg.Shard.Has(src.Rel) {
				continue
			}
			if i, ok := r.old.byOut[out]; ok {
				seen[i] = true
			}
			found++
			r.cfg.Observer.Event(Event{Kind: EventFound, Path: src.Path, Found: found})
			select {
			case jobs <- job{src: src, out: out}:
			case <-runCtx.Done():
			}
		}
		walkDone.Store(runCtx.Err() == nil)
		r.cfg.Observer.Event(Event{Kind: EventWalkDone, Found: found})
	}()
	var wg sync.WaitGroup
	for i := 0; i < r.cfg.Jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if runCtx.Err() != nil {
					continue // drain
				}
				r.cfg.Observer.Event(Event{Kind: EventStart, Path: j.src.Path})
				res := r.process(abortCtx, j)
				if errclass.IsFatal(res.err) {
					r.setFatal(res.err)
					cancelRun()
					abort()
				}
				select {
				case results <- res:
				case <-quit:
					return
				}
			}
		}()
	}
	workersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(workersDone)
		close(results)
	}()

	idx := Index{
		SchemaVersion: SchemaVersion,
		LlsumVersion:  r.cfg.Version,
		Started:       started.UTC(),
		Inputs:        r.cfg.Inputs,
		Parameters:    r.cfg.Params,
		Model:         r.info,
		Jobs:          r.cfg.Jobs,
		Shard:         r.cfg.Shard.String(),
	}
	// fresh are the records of summaries made current by this run;
	// replaced[i] says old record i is superseded by one of them.
	docs := newDocList(filepath.Join(r.cfg.OutDir, StateDir))
	defer docs.close()
	var fresh []stateRecord
	replaced := make([]bool, len(r.old.records))
	checkpoint := time.NewTicker(checkpointEvery)
	defer checkpoint.Stop()
	var abandon <-chan time.Time
	abortDone := abortCtx.Done()
collect:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break collect
			}
			if res.Status == "" {
				continue // abandoned: neither done nor failed
			}
			idx.Counts.add(res.Status)
			r.cfg.Observer.Event(Event{Kind: EventDone, Path: res.Path, Doc: &res, Err: res.err})
			if res.rec != nil {
				fresh = append(fresh, *res.rec)
				if i, ok := r.old.byOut[res.rec.Out]; ok {
					replaced[i] = true
				}
				res.rec = nil
			}
			res.Path = filepath.ToSlash(res.Path)
			res.err = nil
			docs.add(res)
		case <-checkpoint.C:
			if err := saveState(r.statePath, r.cfg.Shard.String(), r.merged(fresh, replaced, nil)); err != nil {
				r.warn(err)
			}
		case <-abortDone:
			abortDone = nil
			abandon = time.After(r.abandonAfter)
		case <-abandon:
			break collect
		}
	}
	close(quit)

	rep := &Report{InputErrors: r.inputErrors, workersDone: workersDone}
	rep.Interrupted = ctx.Err() != nil
	idx.Interrupted = rep.Interrupted
	r.mu.Lock()
	complete := walkDone.Load() && r.fatal == nil && len(r.inputErrors) == 0 && !rep.Interrupted
	r.mu.Unlock()
	var drop []bool
	if complete {
		drop = r.deleted(seen, replaced, &idx, docs)
	}
	if err := saveState(r.statePath, r.cfg.Shard.String(), r.merged(fresh, replaced, drop)); err != nil {
		r.warn(err)
	}

	r.mu.Lock()
	rep.Fatal = r.fatal
	rep.Warnings = r.warnings
	r.mu.Unlock()
	for _, e := range rep.InputErrors {
		idx.Errors = append(idx.Errors, oneLine(e.Error()))
	}
	if rep.Fatal != nil {
		idx.Errors = append(idx.Errors, oneLine(rep.Fatal.Error()))
	}
	idx.Finished = time.Now().UTC()
	indexPath := filepath.Join(r.cfg.OutDir, IndexName(r.cfg.Shard))
	err := writeIndex(indexPath, &idx, docs)
	idx.Documents = docs.documents()
	rep.Index = idx
	if err != nil {
		err = errclass.AsFatal(fmt.Errorf("write index %s: %w", indexPath, err))
		if rep.Fatal == nil {
			rep.Fatal = err
		}
	}
	r.cfg.Observer.Event(Event{Kind: EventFinish, Report: rep})
	return rep, nil
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

// merged is the state to save: this run's records, and the old records
// neither superseded nor dropped.
func (r *runner) merged(fresh []stateRecord, replaced, drop []bool) []stateRecord {
	out := make([]stateRecord, 0, len(fresh)+len(r.old.records))
	out = append(out, fresh...)
	for i := range r.old.records {
		if replaced[i] || (drop != nil && drop[i]) {
			continue
		}
		out = append(out, r.old.records[i])
	}
	return out
}

// deleted reports the documents of earlier runs whose input the (complete)
// walk did not meet. Without Prune they stay, listed in the index as
// deleted; with Prune their outputs are removed and drop says which
// records go.
func (r *runner) deleted(seen, replaced []bool, idx *Index, docs *docList) []bool {
	drop := make([]bool, len(r.old.records))
	for i := range r.old.records {
		if seen[i] || replaced[i] {
			continue
		}
		rec := &r.old.records[i]
		d := DocResult{Source: rec.Source, Path: rec.Path, Outputs: rec.Outputs, Status: StatusDeleted,
			Reason: ReasonDeleted, SHA256: rec.SHA256, Bytes: rec.Bytes}
		if r.cfg.Prune {
			var failed bool
			for _, o := range rec.Outputs {
				if !outputOf(rec.Out, o) {
					continue
				}
				p := filepath.Join(r.cfg.OutDir, filepath.FromSlash(o))
				err := insideOut(r.cfg.OutDir, o)
				if err == nil {
					err = os.Remove(p)
				}
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					r.warn(fmt.Errorf("prune %s: %w", p, err))
					failed = true
				}
			}
			drop[i] = !failed
			d.Reason = ReasonDeleted + "; pruned"
		} else {
			docs.add(d)
			idx.Counts.add(StatusDeleted)
		}
		r.cfg.Observer.Event(Event{Kind: EventDeleted, Path: d.Path, Doc: &d})
	}
	return drop
}

// IndexName is the index file of a run: index.json, or index-I-of-N.json
// for a shard (see MergeIndexes).
func IndexName(sh Shard) string {
	return "index" + sh.suffix() + ".json"
}

// process runs one document through the stages. A panic anywhere below is
// recovered here, at the document boundary, and becomes the document's
// error.
func (r *runner) process(ctx context.Context, j job) (res DocResult) {
	t0 := time.Now()
	res = DocResult{Source: j.src.Rel, Path: j.src.Path}
	defer func() {
		if p := recover(); p != nil {
			res.err = fmt.Errorf("%s: internal error: %v", j.src.Path, p)
			r.cfg.Observer.Event(Event{Kind: EventDebug, Path: j.src.Path, Message: string(debug.Stack())})
		}
		res.Timings.TotalMS = time.Since(t0).Milliseconds()
		switch {
		case res.err == nil:
			if res.Status == "" {
				res.Status = StatusOK
			}
		case ctx.Err() != nil && errors.Is(res.err, ctx.Err()):
			res.Status = "" // interrupted: neither done nor failed
		case errclass.Kind(res.err) == errclass.Skip:
			res.Status = StatusSkipped
			res.Reason = oneLine(res.err.Error())
		default:
			res.Status = StatusFailed
			res.Error = oneLine(res.err.Error())
		}
	}()

	sum, size, err := hashFile(j.src.Path)
	if err != nil {
		res.err = fmt.Errorf("read %s: %w", j.src.Path, err)
		return res
	}
	res.SHA256, res.Bytes = sum, size
	if !r.cfg.Force {
		if done, err := r.reuse(j, &res); done || err != nil {
			res.err = err
			return res
		}
	}

	te := time.Now()
	doc, err := r.ex.File(ctx, j.src.Path)
	res.Timings.ExtractMS = time.Since(te).Milliseconds()
	if err != nil {
		res.err = err
		return res
	}
	res.Pages = len(doc.Pages)
	res.Characters = doc.Chars()
	warnings := docWarnings(doc)
	res.Warnings = len(warnings)

	ts := time.Now()
	out, err := summarize(ctx, r.s, doc, r.cfg.Params)
	res.Timings.SummarizeMS = time.Since(ts).Milliseconds()
	if err != nil {
		res.err = fmt.Errorf("summarize %s: %w", j.src.Path, err)
		return res
	}
	res.Timings.TotalMS = time.Since(t0).Milliseconds()
	warnings = append(warnings, out.Warnings...)
	res.Warnings, res.Faithfulness = len(warnings), len(out.Faithfulness)

	dj := &DocumentJSON{
		SchemaVersion: SchemaVersion,
		Source:        j.src.Rel,
		SHA256:        res.SHA256,
		Bytes:         res.Bytes,
		Pages:         res.Pages,
		Characters:    res.Characters,
		Title:         docTitle(doc),
		Backend:       r.info.Backend,
		Model:         r.info,
		Parameters:    r.cfg.Params,
		Summary:       out.Summary,
		Structured:    out.Structured,
		Citations:     out.Citations,
		Faithfulness:  out.Faithfulness,
		Chunks:        out.Chunks,
		Levels:        out.Levels,
		Budget:        out.Budget,
		Warnings:      warnings,
		Timings:       res.Timings,
		Tokens:        out.Tokens,
		Created:       time.Now().UTC().Truncate(time.Second),
	}
	res.Tokens = &dj.Tokens
	if err := ctx.Err(); err != nil {
		// Abandoned while summarizing: the run may be over, write nothing.
		res.err = err
		return res
	}
	res.Outputs, res.err = r.write(j.out, dj)
	if res.err == nil {
		res.rec = r.record(j, &res)
	}
	return res
}

// record is the state record of a document whose outputs are now current.
func (r *runner) record(j job, res *DocResult) *stateRecord {
	return &stateRecord{
		Out: j.out, Source: j.src.Rel, Path: filepath.ToSlash(j.src.Path),
		SHA256: res.SHA256, Bytes: res.Bytes, Model: r.modelID, Params: r.paramsKey,
		Outputs: res.Outputs, Done: time.Now().UTC().Truncate(time.Second),
	}
}

// write writes the document's outputs atomically and returns their paths
// relative to the output folder.
func (r *runner) write(rel string, dj *DocumentJSON) ([]string, error) {
	var outs []string
	md := renderMarkdown(dj)
	if r.cfg.JSON {
		data, err := json.MarshalIndent(dj, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := r.writeFile(rel+".json", append(data, '\n')); err != nil {
			return nil, err
		}
		outs = append(outs, rel+".json")
	}
	if r.cfg.Markdown {
		if err := r.writeFile(rel+".md", []byte(md)); err != nil {
			return nil, err
		}
		outs = append(outs, rel+".md")
	}
	if r.cfg.Stdout != nil {
		r.mu.Lock()
		fmt.Fprintln(r.cfg.Stdout, md)
		r.mu.Unlock()
	}
	return outs, nil
}

// writeFile writes one output atomically. Failures that mean the output
// folder itself is unusable (full, read-only, permission denied) are fatal:
// every later document would fail the same way.
func (r *runner) writeFile(rel string, data []byte) error {
	p := filepath.Join(r.cfg.OutDir, filepath.FromSlash(rel))
	if err := insideOut(r.cfg.OutDir, rel); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
		err = fmt.Errorf("write %s: %w", p, err)
		if isOutputFatal(err) {
			return errclass.AsFatal(err)
		}
		return err
	}
	return nil
}

// errThroughLink refuses an output path that would leave the output folder
// through a symbolic link planted in it.
var errThroughLink = errors.New("the output path goes through a symbolic link; not writing outside the output folder")

// insideOut checks that the folders of rel (an output path made by
// outputRel) below out are real folders, not symbolic links, so the write
// stays inside out. Folders not there yet will be created as real ones.
func insideOut(out, rel string) error {
	p := out
	parts := strings.Split(rel, "/")
	for _, c := range parts[:len(parts)-1] {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return errThroughLink
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a folder", p)
		}
	}
	return nil
}

func isOutputFatal(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.EDQUOT) || errors.Is(err, os.ErrPermission)
}

// hashFile returns the SHA-256 and size of a regular file. Anything else
// (a FIFO, a device, a folder) is refused before it is opened, so a FIFO
// cannot block the worker.
func hashFile(p string) (string, int64, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("not a regular file (%s)", describeMode(fi.Mode()))
	}
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// docWarnings flattens document and page warnings into "page N: …" lines.
func docWarnings(d *extract.Document) []string {
	ws := append([]string{}, d.Warnings...)
	for _, p := range d.Pages {
		for _, w := range p.Warnings {
			ws = append(ws, fmt.Sprintf("page %d: %s", p.Number, w))
		}
	}
	return ws
}

// docTitle is the document's title metadata, else empty (the Markdown then
// uses the file name).
func docTitle(d *extract.Document) string {
	return strings.TrimSpace(d.Meta.Title)
}
