package ui

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ByteBar is a progress bar of bytes for downloads (llsum pull, llsum
// setup): drawn on w when show is set (a terminal, not --quiet, not
// LLSUM_NO_PROGRESS), nothing otherwise. Add may be called from several
// goroutines at once.
type ByteBar struct {
	w    io.Writer
	desc string
	show bool
	bar  *progressbar.ProgressBar
}

// NewByteBar returns a bar that Start draws.
func NewByteBar(w io.Writer, show bool, desc string) *ByteBar {
	return &ByteBar{w: w, desc: desc, show: show}
}

// On reports whether a bar is drawn (callers print per-file lines when not).
func (b *ByteBar) On() bool { return b.bar != nil }

// Start draws a bar for total bytes (-1: unknown) of which present are
// already there; a bar already drawn is finished first.
func (b *ByteBar) Start(total, present int64) {
	if !b.show {
		return
	}
	b.Finish()
	b.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(b.desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	_ = b.bar.Set64(present)
}

// Add counts n more bytes.
func (b *ByteBar) Add(n int64) {
	if b.bar != nil {
		_ = b.bar.Add64(n)
	}
}

// Finish clears the bar.
func (b *ByteBar) Finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
