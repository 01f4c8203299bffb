package pipeline

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/llsum/llsum/internal/textutil"
)

// LogOptions select what the observers print.
type LogOptions struct {
	// Quiet prints errors only.
	Quiet bool
	// Verbose adds debugging detail (recovered panics' stacks).
	Verbose bool
}

// NewLineObserver prints one plain line per document to w: the form for
// logs, cron mail and CI (stderr is not a terminal).
func NewLineObserver(w io.Writer, opts LogOptions) Observer {
	return &lineObserver{w: w, opts: opts}
}

type lineObserver struct {
	mu   sync.Mutex
	w    io.Writer
	opts LogOptions
}

func (o *lineObserver) Event(e Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if line := eventLine(e, o.opts); line != "" {
		fmt.Fprintln(o.w, line)
	}
}

// eventLine formats an event as one line, or "" when it prints nothing.
func eventLine(e Event, opts LogOptions) string {
	switch e.Kind {
	case EventDone:
		d := e.Doc
		switch d.Status {
		case StatusFailed:
			return "llsum: error: " + d.Error
		case StatusSkipped:
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
			return fmt.Sprintf("llsum: ok %s (%d %s, %s)", d.Path, d.Pages, plural(d.Pages, "page", "pages"),
				(time.Duration(d.Timings.TotalMS) * time.Millisecond).String())
		}
	case EventDeleted:
		if opts.Quiet {
			return ""
		}
		if e.Doc.Reason == ReasonDeleted {
			return fmt.Sprintf("llsum: deleted %s: %s (outputs kept; --prune removes them)", e.Doc.Path, e.Doc.Reason)
		}
		return fmt.Sprintf("llsum: deleted %s: %s", e.Doc.Path, e.Doc.Reason)
	case EventWarning:
		return "llsum: warning: " + textutil.OneLine(e.Err.Error())
	case EventInterrupt:
		if e.Grace > 0 {
			return fmt.Sprintf("llsum: interrupted: no new documents; those in flight get %s to finish (interrupt again to abort them)", e.Grace)
		}
		return "llsum: interrupted: abandoning the documents in flight"
	case EventInputError:
		return "llsum: error: " + textutil.OneLine(e.Err.Error())
	case EventDebug:
		if opts.Verbose {
			return "llsum: debug: " + e.Path + ":\n" + e.Message
		}
	case EventFinish:
		r := e.Report
		if r.Fatal != nil {
			return "llsum: error: " + textutil.OneLine(r.Fatal.Error())
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

// NewBarObserver draws a progress bar on w (a terminal): documents done of
// those found so far, the current file, rate and ETA. Errors are printed
// above the bar as they happen.
func NewBarObserver(w io.Writer, opts LogOptions) Observer {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("summarizing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("docs"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
	return &barObserver{w: w, bar: bar, opts: opts}
}

type barObserver struct {
	mu    sync.Mutex
	w     io.Writer
	bar   *progressbar.ProgressBar
	opts  LogOptions
	found int
}

func (o *barObserver) Event(e Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e.Kind {
	case EventFound, EventWalkDone:
		o.found = e.Found
		o.bar.ChangeMax(o.found)
	case EventStart:
		o.bar.Describe(shorten(filepath.Base(e.Path), 40))
	case EventDone:
		if e.Doc.Status == StatusFailed {
			o.above(eventLine(e, o.opts))
		}
		_ = o.bar.Add(1)
	case EventFinish:
		_ = o.bar.Finish()
		o.above(eventLine(e, o.opts))
	default:
		o.above(eventLine(e, o.opts))
	}
}

// above prints a line above the bar.
func (o *barObserver) above(line string) {
	if line == "" {
		return
	}
	_ = o.bar.Clear()
	fmt.Fprintln(o.w, line)
	_ = o.bar.RenderBlank()
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
