package pipeline

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/llsum/llsum/internal/textutil"
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
	V           int          `json:"v"`
	Time        time.Time    `json:"time"`
	Event       string       `json:"event"`
	Path        string       `json:"path,omitempty"`
	Source      string       `json:"source,omitempty"`
	Status      string       `json:"status,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Error       string       `json:"error,omitempty"`
	Outputs     []string     `json:"outputs,omitempty"`
	Pages       int          `json:"pages,omitempty"`
	Bytes       int64        `json:"bytes,omitempty"`
	SHA256      string       `json:"sha256,omitempty"`
	Timings     *Timings     `json:"timings,omitempty"`
	Tokens      *TokenCounts `json:"tokens,omitempty"`
	GraceMS     *int64       `json:"grace_ms,omitempty"`
	Counts      *Counts      `json:"counts,omitempty"`
	ElapsedMS   *int64       `json:"elapsed_ms,omitempty"`
	Interrupted *bool        `json:"interrupted,omitempty"`
	Errors      []string     `json:"errors,omitempty"`
	Index       string       `json:"index,omitempty"`
	Message     string       `json:"message,omitempty"`
}

// NewJSONObserver writes one JSON object per line to w (see LogRecord).
func NewJSONObserver(w io.Writer) Observer {
	return &jsonObserver{enc: json.NewEncoder(w)}
}

type jsonObserver struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *jsonObserver) Event(e Event) {
	rec, ok := logRecord(e)
	if !ok {
		return
	}
	rec.V = JSONLogVersion
	rec.Time = time.Now().UTC()
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

func logRecord(e Event) (LogRecord, bool) {
	switch e.Kind {
	case EventStart:
		return LogRecord{Event: "start", Path: e.Path}, true
	case EventDone:
		d := e.Doc
		rec := LogRecord{Path: d.Path, Source: d.Source, Status: d.Status, Reason: d.Reason, Error: d.Error,
			Outputs: d.Outputs, SHA256: d.SHA256, Bytes: d.Bytes}
		switch d.Status {
		case StatusOK:
			rec.Event = "done"
			rec.Pages = d.Pages
			t := d.Timings
			rec.Timings = &t
			rec.Tokens = d.Tokens
		case StatusSkipped:
			rec.Event = "skipped"
		default:
			rec.Event = "failed"
		}
		return rec, true
	case EventDeleted:
		d := e.Doc
		return LogRecord{Event: "deleted", Path: d.Path, Source: d.Source, Reason: d.Reason, Outputs: d.Outputs}, true
	case EventInputError:
		return LogRecord{Event: "input_error", Path: e.Path, Error: textutil.OneLine(e.Err.Error())}, true
	case EventWarning:
		return LogRecord{Event: "warning", Error: textutil.OneLine(e.Err.Error())}, true
	case EventInterrupt:
		g := e.Grace.Milliseconds()
		return LogRecord{Event: "interrupt", GraceMS: &g}, true
	case EventFinish:
		r := e.Report
		c := r.Index.Counts
		el := r.Index.Finished.Sub(r.Index.Started).Milliseconds()
		in := r.Interrupted
		rec := LogRecord{Event: "summary", Counts: &c, ElapsedMS: &el, Interrupted: &in,
			Errors: r.Index.Errors, Index: IndexName(shardOf(r.Index.Shard))}
		return rec, true
	}
	return LogRecord{}, false
}

func shardOf(s string) Shard {
	sh, _ := ParseShard(s)
	return sh
}
