// Package ui shows a run's progress on stderr: a plain line per document
// (logs, cron mail, CI), a progress bar on a terminal, or JSON lines
// (--log-format json). It implements pipeline.Observer; the pipeline only
// reports events and knows nothing of how they are shown.
package ui

import (
	"encoding/json"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/llsum/llsum/internal/textutil"
	"github.com/llsum/llsum/pipeline"
)

// JSONLogVersion is the version of the JSON-lines log schema (README,
// "Running from cron and CI"). Fields are only ever added within a version.
const JSONLogVersion = 1

// LogRecord is one line of the JSON log. Every line has v, time and event;
// the other fields depend on the event:
//
//	start        path
//	done         path, source, status "ok", outputs, pages, bytes, sha256,
//	             timings, tokens; reason when the summary was reused
//	skipped      path, source, status "skipped", reason ("unchanged", or why
//	             the document cannot be summarized), outputs when unchanged
//	failed       path, source, status "failed", error
//	deleted      path, source, reason, outputs
//	input_error  path, error (an input path or folder that cannot be read)
//	warning      error
//	interrupt    grace_ms
//	summary      counts, elapsed_ms, interrupted, errors, index
//	notice       message (before the run: no model configured, CPU
//	             fallback of --device auto)
//	error        error (the run could not start: bad configuration, output
//	             folder locked, unwritable or missing); exit code 2
type LogRecord struct {
	V           int                   `json:"v"`
	Time        time.Time             `json:"time"`
	Event       string                `json:"event"`
	Path        string                `json:"path,omitempty"`
	Source      string                `json:"source,omitempty"`
	Status      string                `json:"status,omitempty"`
	Reason      string                `json:"reason,omitempty"`
	Error       string                `json:"error,omitempty"`
	Outputs     []string              `json:"outputs,omitempty"`
	Pages       int                   `json:"pages,omitempty"`
	Bytes       int64                 `json:"bytes,omitempty"`
	SHA256      string                `json:"sha256,omitempty"`
	Timings     *pipeline.Timings     `json:"timings,omitempty"`
	Tokens      *pipeline.TokenCounts `json:"tokens,omitempty"`
	GraceMS     *int64                `json:"grace_ms,omitempty"`
	Counts      *pipeline.Counts      `json:"counts,omitempty"`
	ElapsedMS   *int64                `json:"elapsed_ms,omitempty"`
	Interrupted *bool                 `json:"interrupted,omitempty"`
	Errors      []string              `json:"errors,omitempty"`
	Index       string                `json:"index,omitempty"`
	Message     string                `json:"message,omitempty"`
}

// NewJSONObserver writes one JSON object per line to w (see LogRecord).
// Of opts only Describe applies.
func NewJSONObserver(w io.Writer, opts LogOptions) pipeline.Observer {
	return &jsonObserver{enc: json.NewEncoder(w), now: time.Now, opts: opts}
}

type jsonObserver struct {
	mu   sync.Mutex
	enc  *json.Encoder
	now  func() time.Time // the clock (tests fix it)
	opts LogOptions
}

func (o *jsonObserver) Event(e pipeline.Event) {
	rec, ok := logRecord(e, o.opts)
	if !ok {
		return
	}
	rec.V = JSONLogVersion
	rec.Time = o.now().UTC()
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(rec)
}

// WriteJSONNotice writes a "notice" line (a one-line remark from before the
// run starts).
func WriteJSONNotice(w io.Writer, msg string) {
	_ = json.NewEncoder(w).Encode(LogRecord{V: JSONLogVersion, Time: time.Now().UTC(), Event: "notice", Message: textutil.OneLine(msg)})
}

// WriteJSONError writes the "error" line of a run that could not start.
func WriteJSONError(w io.Writer, err error) {
	_ = json.NewEncoder(w).Encode(LogRecord{V: JSONLogVersion, Time: time.Now().UTC(), Event: "error", Error: textutil.OneLine(err.Error())})
}

func logRecord(e pipeline.Event, opts LogOptions) (LogRecord, bool) {
	switch e.Kind {
	case pipeline.EventStart:
		return LogRecord{Event: "start", Path: e.Path}, true
	case pipeline.EventDone:
		d := e.Doc
		rec := LogRecord{Path: d.Path, Source: d.Source, Status: d.Status, Reason: d.Reason, Error: d.Error,
			Outputs: d.Outputs, SHA256: d.SHA256, Bytes: d.Bytes}
		switch d.Status {
		case pipeline.StatusOK:
			rec.Event = "done"
			rec.Pages = d.Pages
			t := d.Timings
			rec.Timings = &t
			rec.Tokens = d.Tokens
		case pipeline.StatusSkipped:
			rec.Event = "skipped"
		default:
			rec.Event = "failed"
		}
		return rec, true
	case pipeline.EventDeleted:
		d := e.Doc
		return LogRecord{Event: "deleted", Path: d.Path, Source: d.Source, Reason: d.Reason, Outputs: d.Outputs}, true
	case pipeline.EventInputError:
		return LogRecord{Event: "input_error", Path: e.Path, Error: opts.describe(e.Err)}, true
	case pipeline.EventWarning:
		return LogRecord{Event: "warning", Error: opts.describe(e.Err)}, true
	case pipeline.EventInterrupt:
		g := e.Grace.Milliseconds()
		return LogRecord{Event: "interrupt", GraceMS: &g}, true
	case pipeline.EventFinish:
		r := e.Report
		c := r.Index.Counts
		el := r.Index.Finished.Sub(r.Index.Started).Milliseconds()
		in := r.Interrupted
		rec := LogRecord{Event: "summary", Counts: &c, ElapsedMS: &el, Interrupted: &in,
			Errors: r.Index.Errors, Index: indexName(r.IndexPath)}
		return rec, true
	}
	return LogRecord{}, false
}

// indexName is the index file's name ("" when none was written).
func indexName(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Base(p)
}
