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
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/atomicfile"
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
}

// Status of a document in a run.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
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
	Timings    Timings  `json:"timings"`

	err error
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
	Counts        Counts          `json:"counts"`
	Interrupted   bool            `json:"interrupted,omitempty"`
	Errors        []string        `json:"errors,omitempty"`
	Documents     []DocResult     `json:"documents"`
}

// Counts sums the documents by status.
type Counts struct {
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
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
}

// Run summarizes every document under cfg.Inputs with s. It returns an error
// only when the run cannot start (bad configuration, unwritable output); per
// document failures are in the report.
func Run(ctx context.Context, cfg Config, s infer.Summarizer) (*Report, error) {
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
	r := &runner{cfg: cfg, s: s, info: s.Info()}
	return r.run(ctx, outInfo)
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
	cfg  Config
	s    infer.Summarizer
	info infer.ModelInfo

	mu          sync.Mutex
	inputErrors []error
	fatal       error
}

type job struct {
	src source
	out string // output path relative to OutDir, without suffix
}

func (r *runner) run(ctx context.Context, outInfo os.FileInfo) (*Report, error) {
	started := time.Now()
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()

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
	jobs := make(chan job)
	results := make(chan DocResult)

	go func() {
		defer close(sources)
		w.walk(runCtx, r.cfg.Inputs, sources)
	}()
	// The dispatcher names outputs in walk order, so names are
	// deterministic whatever the pool does.
	go func() {
		defer close(jobs)
		var n namer
		found := 0
		for src := range sources {
			found++
			r.cfg.Observer.Event(Event{Kind: EventFound, Path: src.Path, Found: found})
			select {
			case jobs <- job{src: src, out: n.name(src.Rel)}:
			case <-runCtx.Done():
			}
		}
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
				res := r.process(runCtx, j)
				if errclass.IsFatal(res.err) {
					r.mu.Lock()
					if r.fatal == nil {
						r.fatal = res.err
					}
					r.mu.Unlock()
					cancelRun()
				}
				results <- res
			}
		}()
	}
	go func() {
		wg.Wait()
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
		Documents:     []DocResult{},
	}
	for res := range results {
		if res.Status == "" {
			continue
		}
		switch res.Status {
		case StatusOK:
			idx.Counts.OK++
		case StatusFailed:
			idx.Counts.Failed++
		case StatusSkipped:
			idx.Counts.Skipped++
		}
		r.cfg.Observer.Event(Event{Kind: EventDone, Path: res.Path, Doc: &res, Err: res.err})
		res.Path = filepath.ToSlash(res.Path)
		idx.Documents = append(idx.Documents, res)
	}
	sort.Slice(idx.Documents, func(a, b int) bool { return idx.Documents[a].Path < idx.Documents[b].Path })

	rep := &Report{InputErrors: r.inputErrors, Fatal: r.fatal}
	rep.Interrupted = ctx.Err() != nil
	idx.Interrupted = rep.Interrupted
	for _, e := range r.inputErrors {
		idx.Errors = append(idx.Errors, oneLine(e.Error()))
	}
	if r.fatal != nil {
		idx.Errors = append(idx.Errors, oneLine(r.fatal.Error()))
	}
	idx.Finished = time.Now().UTC()
	rep.Index = idx
	data, err := json.MarshalIndent(idx, "", "  ")
	if err == nil {
		err = atomicfile.WriteFile(filepath.Join(r.cfg.OutDir, "index.json"), append(data, '\n'), 0o644)
	}
	if err != nil {
		err = errclass.AsFatal(fmt.Errorf("write index %s: %w", filepath.Join(r.cfg.OutDir, "index.json"), err))
		if rep.Fatal == nil {
			rep.Fatal = err
		}
	}
	r.cfg.Observer.Event(Event{Kind: EventFinish, Report: rep})
	return rep, nil
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
			res.Status = StatusOK
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

	te := time.Now()
	doc, err := extract.File(ctx, j.src.Path, r.cfg.Extract)
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
		Chunks:        out.Chunks,
		Warnings:      warnings,
		Timings:       res.Timings,
		Tokens:        out.Tokens,
		Created:       time.Now().UTC().Truncate(time.Second),
	}
	res.Outputs, res.err = r.write(j.out, dj)
	return res
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
	if err := atomicfile.WriteFile(p, data, 0o644); err != nil {
		err = fmt.Errorf("write %s: %w", p, err)
		if isOutputFatal(err) {
			return errclass.AsFatal(err)
		}
		return err
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
