package ui

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/textutil"
	"github.com/llsum/llsum/pipeline"
)

// LogOptions select what the observers print.
type LogOptions struct {
	// Quiet prints errors only.
	Quiet bool
	// Verbose adds debugging detail (recovered panics' stacks).
	Verbose bool
	// Describe turns an error into its one-line text (the command line adds
	// its hints); nil means the error's own message.
	Describe func(error) string
}

// describe is err on one line, through opts.Describe when set.
func (opts LogOptions) describe(err error) string {
	if opts.Describe != nil {
		return opts.Describe(err)
	}
	return textutil.OneLine(err.Error())
}

// NewLineObserver prints one plain line per document to w: the form for
// logs, cron mail and CI (stderr is not a terminal).
func NewLineObserver(w io.Writer, opts LogOptions) pipeline.Observer {
	return &lineObserver{w: w, opts: opts}
}

type lineObserver struct {
	mu   sync.Mutex
	w    io.Writer
	opts LogOptions
}

func (o *lineObserver) Event(e pipeline.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if line := eventLine(e, o.opts); line != "" {
		fmt.Fprintln(o.w, line)
	}
}

// safeLine escapes control characters (file names with line breaks or
// terminal escapes) so that one event stays one harmless line.
func safeLine(s string) string { return textutil.EscapeControl(s) }

// eventLine formats an event as one line, or "" when it prints nothing;
// control characters in it are escaped (a debug event's stack keeps its
// lines, its path is escaped).
func eventLine(e pipeline.Event, opts LogOptions) string {
	if e.Kind == pipeline.EventDebug {
		if opts.Verbose {
			return "llsum: debug: " + safeLine(e.Path) + ":\n" + e.Message
		}
		return ""
	}
	return safeLine(eventText(e, opts))
}

func eventText(e pipeline.Event, opts LogOptions) string {
	switch e.Kind {
	case pipeline.EventDone:
		d := e.Doc
		switch d.Status {
		case pipeline.StatusFailed:
			if errclass.IsFatal(e.Err) {
				return "" // the run's last line gives it
			}
			return "llsum: error: " + d.Error
		case pipeline.StatusSkipped:
			if opts.Quiet {
				return ""
			}
			return fmt.Sprintf("llsum: skipped %s: %s", d.Path, d.Reason)
		default:
			if opts.Quiet {
				return ""
			}
			if d.Reason != "" {
				return fmt.Sprintf("llsum: ok %s (%s)", d.Path, d.Reason)
			}
			return fmt.Sprintf("llsum: ok %s (%d %s, %s)", d.Path, d.Pages, textutil.Plural(d.Pages, "page", "pages"),
				(time.Duration(d.Timings.TotalMS) * time.Millisecond).String())
		}
	case pipeline.EventDeleted:
		if opts.Quiet {
			return ""
		}
		if e.Doc.Reason == pipeline.ReasonDeleted {
			return fmt.Sprintf("llsum: deleted %s: %s (outputs kept; --prune removes them)", e.Doc.Path, e.Doc.Reason)
		}
		return fmt.Sprintf("llsum: deleted %s: %s", e.Doc.Path, e.Doc.Reason)
	case pipeline.EventWarning:
		return "llsum: warning: " + opts.describe(e.Err)
	case pipeline.EventInterrupt:
		if e.Grace > 0 {
			return fmt.Sprintf("llsum: interrupted: no new documents; those in flight get %s to finish (interrupt again to abort them)", e.Grace)
		}
		return "llsum: interrupted: abandoning the documents in flight"
	case pipeline.EventInputError:
		return "llsum: error: " + opts.describe(e.Err)
	case pipeline.EventFinish:
		r := e.Report
		if r.Fatal != nil {
			return "llsum: error: " + opts.describe(r.Fatal)
		}
		if opts.Quiet {
			return ""
		}
		c := r.Index.Counts
		s := fmt.Sprintf("llsum: %d ok, %d failed, %d skipped", c.OK, c.Failed, c.Skipped)
		if c.Deleted > 0 {
			s += fmt.Sprintf(", %d deleted", c.Deleted)
		}
		s += " in " + r.Index.Finished.Sub(r.Index.Started).Round(time.Millisecond).String()
		if r.Interrupted {
			s += " (interrupted)"
		}
		return s
	}
	return ""
}
