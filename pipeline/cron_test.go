package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/statedb"
)

// TestOutputRelHostileNames adds to TestOutputRelStaysInside: the state
// folder cannot be named, and long names stay valid and idempotent (state
// keys are output names read back through outputRel).
func TestOutputRelHostileNames(t *testing.T) {
	tests := []struct {
		rel, want string
	}{
		{".llsum/state.json", "_llsum/state.json"},
		{"", "_"},
		{"a\x00b\nc.txt", "a_b_c.txt"},
	}
	for _, tc := range tests {
		if got := outputRel(tc.rel); got != tc.want {
			t.Errorf("outputRel(%q) = %q, want %q", tc.rel, got, tc.want)
		}
	}
	long := strings.Repeat("é", 300) + ".txt"
	got := outputRel("dir/" + long)
	for _, c := range strings.Split(got, "/") {
		if len(c)+len(".json")+len("~99") > 255 || !utf8.ValidString(c) {
			t.Errorf("component %q: %d bytes, valid UTF-8 %v", c, len(c), utf8.ValidString(c))
		}
	}
	if outputRel(got) != got {
		t.Errorf("outputRel not idempotent on long names")
	}
}

func TestNamerCollisions(t *testing.T) {
	var n namer
	in := []string{"A.txt", "a.txt", "a.txt~2", "x/../a.txt", "A.TXT"}
	want := []string{"A.txt", "a.txt~2", "a.txt~2~2", "x/a.txt", "A.TXT~3"}
	seen := map[string]bool{}
	for i, rel := range in {
		got := n.name(rel)
		if got != want[i] {
			t.Errorf("name(%q) = %q, want %q", rel, got, want[i])
		}
		if seen[strings.ToLower(got)] {
			t.Errorf("%q given twice", got)
		}
		seen[strings.ToLower(got)] = true
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/3", Shard{0, 3}, true},
		{" 2/3 ", Shard{2, 3}, true},
		{"0/1", Shard{0, 1}, true},
		{"3/3", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"1/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
	}
	for _, tc := range tests {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestShardsPartition(t *testing.T) {
	for n := 1; n <= 7; n++ {
		counts := make([]int, n)
		for d := 0; d < 2000; d++ {
			rel := fmt.Sprintf("folder%d/doc%d.pdf", d%13, d)
			hits := 0
			for i := 0; i < n; i++ {
				if (Shard{i, n}).Has(rel) {
					hits++
					counts[i]++
				}
			}
			if hits != 1 {
				t.Fatalf("%s is in %d of %d shards", rel, hits, n)
			}
		}
		for i, c := range counts {
			if c < 2000/n/2 {
				t.Errorf("shard %d/%d has %d of 2000 documents: unbalanced", i, n, c)
			}
		}
	}
}

// A state.json that cannot be migrated is moved aside with a warning and
// the run starts an empty database; a valid one is imported and removed.
func TestMigrateStateJSON(t *testing.T) {
	good := `{"schema_version":1,"documents":[{"out":"a.txt","source":"a.txt","sha256":"ab","outputs":["a.txt.md"]}]}`
	tests := []struct {
		name, content string
		records       int
		corrupt       bool
	}{
		{"missing", "", 0, false},
		{"valid", good, 1, false},
		{"truncated", good[:40], 0, true},
		{"not JSON", "\x00garbage", 0, true},
		{"future schema", `{"schema_version":99,"documents":[]}`, 0, true},
		{"escaping key", `{"schema_version":1,"documents":[{"out":"../x","sha256":"ab"}]}`, 0, true},
		{"foreign output", `{"schema_version":1,"documents":[{"out":"a","sha256":"ab","outputs":["/etc/passwd"]}]}`, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			out := t.TempDir()
			p := filepath.Join(out, StateDir, "state.json")
			os.MkdirAll(filepath.Dir(p), 0o755)
			if tc.content != "" {
				if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var warnings []error
			db, err := openState(ctx, out, Shard{}, func(err error) { warnings = append(warnings, err) })
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			n := 0
			db.Docs(ctx, statedb.Filter{}, func(*statedb.Doc) error { n++; return nil })
			corrupt := len(warnings) == 1 && errors.Is(warnings[0], errCorruptState)
			if corrupt != tc.corrupt || n != tc.records {
				t.Fatalf("%d records, warnings %v; want %d, corrupt %v", n, warnings, tc.records, tc.corrupt)
			}
			if tc.corrupt {
				if b, _ := os.ReadFile(p + ".bad"); string(b) != tc.content {
					t.Errorf("corrupt state not kept aside")
				}
			}
			if _, err := os.Stat(p); err == nil {
				t.Errorf("state.json still there")
			}
		})
	}
}

// An output folder written by the previous version (testdata/statev1:
// state.json, schema 1) is migrated on the first run: its documents are
// skipped as unchanged through the migrated rows (with --format md, so the
// JSON outputs cannot be what skips them), and state.json goes once the
// migration has committed.
func TestMigrationFromStateJSON(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/statev1")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, j := range []string{"a.txt.json", "sub/b.txt.json", "sub/c.md.json"} {
		os.Remove(filepath.Join(out, j))
	}
	// The parameters that run used, as its index says.
	data, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var old Index
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Inputs: []string{filepath.Join(dir, "in")}, OutDir: out, Markdown: true, Jobs: 2, Params: old.Parameters}
	rep, err := Run(context.Background(), cfg, extractive.New(extractive.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Index.Counts != (Counts{Skipped: 3}) || len(rep.Warnings) != 0 {
		t.Fatalf("counts %+v, warnings %v; want 3 skipped from the migrated state", rep.Index.Counts, rep.Warnings)
	}
	if _, err := os.Stat(filepath.Join(out, StateDir, "state.json")); err == nil {
		t.Error("state.json kept after the migration committed")
	}
	db, err := statedb.Open(context.Background(), StatePath(out, Shard{}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, _ := db.Runs(context.Background(), time.Time{})
	if len(runs) != 2 || runs[0].Status != statedb.RunMigrated || runs[0].Counts.OK != 3 || runs[1].Counts.Skipped != 3 {
		t.Fatalf("runs %+v, want the migration then a run of 3 skipped", runs)
	}
}

// countingObserver cancels the run after n documents are done.
type countingObserver struct {
	n      int32
	done   atomic.Int32
	cancel context.CancelFunc
}

func (o *countingObserver) Event(e Event) {
	if e.Kind == EventDone && o.done.Add(1) == o.n && o.cancel != nil {
		o.cancel()
	}
}

// TestRunInterruptAndResume runs the pipeline in-process with several
// workers (run it with -race): an interrupt after some documents leaves
// an index of what completed and no temporary file; a second run does
// exactly the rest; a concurrent run on the same folder is refused.
func TestRunInterruptAndResume(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	const n = 120
	for i := 0; i < n; i++ {
		p := filepath.Join(in, fmt.Sprintf("f%d", i%5), fmt.Sprintf("doc%03d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		text := strings.Repeat(fmt.Sprintf("Document %d talks about topic %d in detail. ", i, i%7), 30)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := extractive.New(extractive.Options{})
	defer s.Close()

	ctx, cancel := context.WithCancel(context.Background())
	obs := &countingObserver{n: 10, cancel: cancel}
	cfg := Config{Inputs: []string{in}, OutDir: out, Jobs: 4, Grace: 10 * time.Second, Observer: obs}
	rep, err := Run(ctx, cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	done := rep.Index.Counts.OK
	if !rep.Interrupted || done < 10 || done >= n || len(rep.Index.Documents) != done {
		t.Fatalf("interrupted %v, %d ok, %d listed", rep.Interrupted, done, len(rep.Index.Documents))
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})

	// While a run holds the folder, another is refused.
	var wg sync.WaitGroup
	started := make(chan struct{})
	release := make(chan struct{})
	blocker := &blockingObserver{started: started, release: release}
	wg.Add(1)
	var second *Report
	go func() {
		defer wg.Done()
		cfg2 := cfg
		cfg2.Observer = blocker
		var err error
		second, err = Run(context.Background(), cfg2, s)
		if err != nil {
			t.Error(err)
		}
	}()
	<-started
	_, err = Run(context.Background(), cfg, s)
	if !errclass.IsFatal(err) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("concurrent run: %v, want a fatal error naming the PID", err)
	}
	close(release)
	wg.Wait()
	if c := second.Index.Counts; c.Skipped != done || c.OK != n-done {
		t.Errorf("resumed run: %+v, want %d skipped and %d ok", c, done, n-done)
	}
}

// blockingObserver holds the run at its first document until released.
type blockingObserver struct {
	once             sync.Once
	started, release chan struct{}
}

func (o *blockingObserver) Event(e Event) {
	if e.Kind == EventStart {
		o.once.Do(func() {
			close(o.started)
			<-o.release
		})
	}
}

// startCanceler cancels the run when the document it waits for starts.
type startCanceler struct {
	suffix string
	cancel context.CancelFunc
}

func (o *startCanceler) Event(e Event) {
	if e.Kind == EventStart && strings.HasSuffix(e.Path, o.suffix) {
		o.cancel()
	}
}

// TestAbandonAfterGrace: a document still in flight when the grace period
// ends is abandoned: the run returns without waiting for it, lists nothing
// for it, and it never writes its outputs, even when it finishes later.
func TestAbandonAfterGrace(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	// About 3 MB of sentences: extracted well within the 300 ms of grace,
	// then seconds of TextRank, so the summary is still being made when the
	// run abandons it.
	var b strings.Builder
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "Sentence %d is about panel %d and grid %d in region %d. ", i, i%97, i%89, i%83)
	}
	if err := os.WriteFile(filepath.Join(in, "huge.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := extractive.New(extractive.Options{})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Inputs: []string{in}, OutDir: out, Jobs: 1, Grace: 300 * time.Millisecond,
		Observer: &startCanceler{suffix: "huge.txt", cancel: cancel}}
	t0 := time.Now()
	rep, err := runAbandoning(ctx, cfg, s, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || len(rep.Index.Documents) != 0 || rep.Index.Counts != (Counts{}) {
		t.Fatalf("interrupted %v, counts %+v: want the document abandoned", rep.Interrupted, rep.Index.Counts)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("run took %s to abandon", d)
	}
	// The worker goes on in the background; once it is done, it must not
	// have written anything.
	select {
	case <-rep.workersDone:
	case <-time.After(5 * time.Minute):
		t.Fatal("the abandoned worker never returned")
	}
	if _, err := os.Stat(filepath.Join(out, "huge.txt.md")); err == nil {
		t.Fatal("abandoned document wrote its outputs")
	}
}
