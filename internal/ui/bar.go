package ui

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/llsum/llsum/pipeline"
	"github.com/schollz/progressbar/v3"
)

// NewBarObserver draws a progress bar on w (a terminal): documents done of
// those found so far, the current file, rate and ETA. Errors are printed
// above the bar as they happen.
func NewBarObserver(w io.Writer, opts LogOptions) pipeline.Observer {
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

func (o *barObserver) Event(e pipeline.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e.Kind {
	case pipeline.EventFound, pipeline.EventWalkDone:
		o.found = e.Found
		o.bar.ChangeMax(o.found)
	case pipeline.EventStart:
		o.bar.Describe(shorten(filepath.Base(e.Path), 40))
	case pipeline.EventDone:
		if e.Doc.Status == pipeline.StatusFailed {
			o.above(eventLine(e, o.opts))
		}
		_ = o.bar.Add(1)
	case pipeline.EventFinish:
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
