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
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/internal/atomicfile"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/statedb"
)

// process runs one document through the stages. A panic anywhere below is
// recovered here, at the document boundary, and becomes the document's
// error.
func (r *runner) process(ctx context.Context, j job) (res DocResult) {
	t0 := time.Now()
	res = DocResult{Source: j.src.Rel, Path: j.src.Path, out: j.out}
	runCtx := ctx // the run's: its end interrupts the document
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
		case runCtx.Err() != nil && errors.Is(res.err, runCtx.Err()):
			if r.fatalErr() != nil {
				// Cut off by an error that stopped the run: listed as
				// failed, so that the index accounts for it.
				res.Status = StatusFailed
				res.Error = j.src.Path + ": abandoned: the run stopped on an error (index errors give it)"
				break
			}
			res.Status = "" // interrupted: neither done nor failed
		case errclass.Kind(res.err) == errclass.Skip:
			res.Status = StatusSkipped
			res.Reason = r.cfg.Describe(res.err)
		default:
			res.Status = StatusFailed
			res.Error = r.cfg.Describe(res.err)
		}
	}()

	// The document's time limit covers all of it: reading, extracting,
	// chunking and summarizing (ctx's own end is an interruption, told
	// apart above; the limit's end is this document's failure).
	if lim := r.cfg.Extract.Timeout; lim > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim)
		defer cancel()
		defer func() {
			if res.err != nil && runCtx.Err() == nil && errors.Is(res.err, context.DeadlineExceeded) && !strings.Contains(res.err.Error(), "time limit") {
				res.err = fmt.Errorf("%w (document time limit %s)", res.err, lim)
			}
		}()
	}
	prev, err := r.st.Lookup(ctx, j.out)
	if err != nil {
		if ctx.Err() != nil {
			res.err = ctx.Err() // abandoned
			return res
		}
		// Without its row the document is judged by its JSON output.
		r.warn(fmt.Errorf("%s: %w", j.src.Path, err))
		prev = nil
	}
	if err := r.contentHash(ctx, j, &res, prev); err != nil {
		res.err = fmt.Errorf("read %s: %w", j.src.Path, err)
		return res
	}
	if !r.cfg.Force {
		if done, err := r.reuse(ctx, j, &res, prev); done || err != nil {
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
	for _, w := range doc.GarbledWarnings() {
		r.warn(fmt.Errorf("%s: %s", j.src.Path, w)) // a garbled page is never silent
	}

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
		Language:      out.Language,
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
		res.sum = r.summaryOf(&res, time.Time{})
	}
	return res
}

// summaryOf says what made a document's outputs, now current: this run's
// model and parameters over its content, at done (now when zero).
func (r *runner) summaryOf(res *DocResult, done time.Time) *statedb.Summary {
	if done.IsZero() {
		done = time.Now().UTC().Truncate(time.Second)
	}
	return &statedb.Summary{SHA256: res.SHA256, Model: r.modelID, Params: r.paramsKey, Outputs: res.Outputs, Done: done}
}

// mtimeSettle is how old a file's modification time must be before it is
// trusted: a file changed again within the same clock tick (coarse
// timestamps) keeps its time, so a younger one is always hashed.
const mtimeSettle = 2 * time.Second

// contentHash sets res.SHA256 and res.Bytes. A regular file whose size and
// modification time (nanoseconds) are those recorded when it was last
// hashed, and that time settled then, is not read again: its recorded hash
// stands (--force reads every file). Otherwise the file is hashed, and
// its time recorded when it has settled.
func (r *runner) contentHash(ctx context.Context, j job, res *DocResult, prev *statedb.Doc) error {
	fi, err := os.Stat(j.src.Path)
	if err == nil && fi.Mode().IsRegular() && !r.cfg.Force && prev != nil && prev.SHA256 != "" &&
		prev.MTime != 0 && prev.MTime == fi.ModTime().UnixNano() && prev.Size == fi.Size() {
		res.SHA256, res.Bytes, res.mtime = prev.SHA256, prev.Size, prev.MTime
		return nil
	}
	sum, size, err := hashFile(ctx, j.src.Path)
	if err != nil {
		return err
	}
	res.SHA256, res.Bytes = sum, size
	if fi != nil && fi.Size() == size && time.Since(fi.ModTime()) > mtimeSettle {
		res.mtime = fi.ModTime().UnixNano()
	}
	return nil
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
	r.listings.sweep(filepath.Dir(p))
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
// cannot block the worker. A big file's read stops when ctx ends.
func hashFile(ctx context.Context, p string) (string, int64, error) {
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
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ctxReader is r that fails with ctx's error once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
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
