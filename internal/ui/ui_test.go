package ui

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llsum/llsum/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// events is a run's worth of events, one of each kind and status.
func events() []pipeline.Event {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tokens := &pipeline.TokenCounts{}
	rep := &pipeline.Report{Interrupted: true, IndexPath: "out/index-2-of-3.json", Index: pipeline.Index{
		Started: t0, Finished: t0.Add(1500 * time.Millisecond), Shard: "2/3",
		Counts: pipeline.Counts{OK: 2, Failed: 1, Skipped: 1, Deleted: 1},
		Errors: []string{"missing: no such file or folder"},
	}}
	return []pipeline.Event{
		{Kind: pipeline.EventFound, Path: "in/a.pdf", Found: 1},
		{Kind: pipeline.EventWalkDone, Found: 4},
		{Kind: pipeline.EventStart, Path: "in/a.pdf"},
		{Kind: pipeline.EventDone, Path: "in/a.pdf", Doc: &pipeline.DocResult{Source: "a.pdf", Path: "in/a.pdf",
			Outputs: []string{"a.pdf.json", "a.pdf.md"}, Status: pipeline.StatusOK, SHA256: "abc", Bytes: 1234, Pages: 3,
			Timings: pipeline.Timings{ExtractMS: 10, SummarizeMS: 200, TotalMS: 215}, Tokens: tokens}},
		{Kind: pipeline.EventDone, Path: "in/b.txt", Doc: &pipeline.DocResult{Source: "b.txt", Path: "in/b.txt",
			Outputs: []string{"b.txt.md"}, Status: pipeline.StatusOK, Reason: pipeline.ReasonReused + " from old/b.txt"}},
		{Kind: pipeline.EventDone, Path: "in/c.txt", Doc: &pipeline.DocResult{Source: "c.txt", Path: "in/c.txt",
			Status: pipeline.StatusSkipped, Reason: pipeline.ReasonUnchanged, Outputs: []string{"c.txt.md"}}},
		{Kind: pipeline.EventDone, Path: "in/d.pdf", Doc: &pipeline.DocResult{Source: "d.pdf", Path: "in/d.pdf",
			Status: pipeline.StatusFailed, Error: "extract in/d.pdf: page 2: broken xref"}},
		{Kind: pipeline.EventDeleted, Path: "in/e.txt", Doc: &pipeline.DocResult{Source: "e.txt", Path: "in/e.txt",
			Status: pipeline.StatusDeleted, Reason: pipeline.ReasonDeleted, Outputs: []string{"e.txt.md"}}},
		{Kind: pipeline.EventDeleted, Path: "in/f.txt", Doc: &pipeline.DocResult{Source: "f.txt", Path: "in/f.txt",
			Status: pipeline.StatusDeleted, Reason: pipeline.ReasonDeleted + "; pruned"}},
		{Kind: pipeline.EventInputError, Path: "missing", Err: errors.New("missing: no such\nfile or folder")},
		{Kind: pipeline.EventWarning, Err: errors.New("state file: corrupt")},
		{Kind: pipeline.EventDebug, Path: "in/g.pdf", Message: "goroutine 1 [running]:\nmain.main()"},
		{Kind: pipeline.EventInterrupt, Grace: 30 * time.Second},
		{Kind: pipeline.EventInterrupt},
		{Kind: pipeline.EventFinish, Report: rep},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// The JSON log's lines, one per event that has one (schema in LogRecord).
func TestJSONLogGolden(t *testing.T) {
	var b bytes.Buffer
	o := NewJSONObserver(&b, LogOptions{}).(*jsonObserver)
	o.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)) }
	for _, e := range events() {
		o.Event(e)
	}
	golden(t, "jsonlog.golden", b.Bytes())
}

// The plain lines, plain, quiet and verbose, and a run that stopped on a
// fatal error.
func TestLinesGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts LogOptions
	}{
		{"lines.golden", LogOptions{}},
		{"lines-quiet.golden", LogOptions{Quiet: true}},
		{"lines-verbose.golden", LogOptions{Verbose: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			o := NewLineObserver(&b, tc.opts)
			for _, e := range events() {
				o.Event(e)
			}
			o.Event(pipeline.Event{Kind: pipeline.EventFinish, Report: &pipeline.Report{Fatal: errors.New("write index out/index.json:\nno space left on device")}})
			golden(t, tc.name, b.Bytes())
		})
	}
}
