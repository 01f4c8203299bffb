// Package cron_test runs the llsum binary as cron and CI do: real
// processes, real files, real signals. The binary is built once (with the
// race detector when the tests run with -race).
package cron_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/testenv"
)

// llsumBinary is built before the tests run (with -race when they do).
var llsumBinary = &testenv.Binary{Pkg: "./cmd/llsum", Race: true}

// bin is the path of the built llsum.
var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	defer llsumBinary.Cleanup()
	var err error
	if bin, err = llsumBinary.Path(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// result is what a finished llsum process did.
type result struct {
	code   int
	stderr string
	events []event
}

// event is one line of the JSON log (the fields the tests use).
type event struct {
	Event   string         `json:"event"`
	Index   string         `json:"index"`
	Path    string         `json:"path"`
	Source  string         `json:"source"`
	Status  string         `json:"status"`
	Reason  string         `json:"reason"`
	Error   string         `json:"error"`
	Outputs []string       `json:"outputs"`
	Counts  map[string]int `json:"counts"`
	Tokens  map[string]int `json:"tokens"`
	Timings map[string]int `json:"timings"`
	V       int            `json:"v"`
	Time    time.Time      `json:"time"`
}

func (r result) count(kind string) int {
	n := 0
	for _, e := range r.events {
		if e.Event == kind {
			n++
		}
	}
	return n
}

func (r result) of(kind string) []event {
	var es []event
	for _, e := range r.events {
		if e.Event == kind {
			es = append(es, e)
		}
	}
	return es
}

func (r result) summary(t *testing.T) map[string]int {
	t.Helper()
	s := r.of("summary")
	if len(s) != 1 {
		t.Fatalf("%d summary events, want 1; stderr:\n%s", len(s), r.stderr)
	}
	return s[0].Counts
}

// llsum starts the binary in dir with a JSON log.
func llsum(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run", "--log-format", "json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LLSUM_NO_PROGRESS=1")
	return cmd
}

// run runs llsum to the end.
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := llsum(t, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return finish(t, cmd, err, stderr.String())
}

func finish(t *testing.T, cmd *exec.Cmd, err error, stderr string) result {
	t.Helper()
	res := result{stderr: stderr}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run llsum: %v", err)
		}
	}
	res.code = cmd.ProcessState.ExitCode()
	res.events = parseEvents(t, stderr)
	return res
}

// parseEvents reads the JSON lines; every line but the backend notice
// must be one.
func parseEvents(t *testing.T, stderr string) []event {
	t.Helper()
	var es []event
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "llsum: notice:") || line == "" {
			continue
		}
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %q (%v)", line, err)
		}
		if e.V != 1 || e.Event == "" {
			t.Fatalf("log line without v=1 and event: %q", line)
		}
		es = append(es, e)
	}
	return es
}

// words makes deterministic prose for test documents.
var words = strings.Fields(`solar wind battery grid storage policy market price cost
growth panel energy demand supply network region forecast capacity output`)

func prose(rng *rand.Rand, sentences int) string {
	var b strings.Builder
	for i := 0; i < sentences; i++ {
		n := 8 + rng.Intn(10)
		for j := 0; j < n; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.Intn(len(words))])
		}
		b.WriteString(". ")
	}
	return b.String()
}

// writeDocs writes n text documents under dir/sub (spread over folders)
// and returns their relative paths.
func writeDocs(t *testing.T, dir string, n, sentences int) []string {
	t.Helper()
	rng := rand.New(rand.NewSource(int64(n)))
	var rels []string
	for i := 0; i < n; i++ {
		rel := fmt.Sprintf("part%d/doc%04d.txt", i%4, i)
		write(t, filepath.Join(dir, rel), prose(rng, sentences))
		rels = append(rels, rel)
	}
	return rels
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// index is the part of index.json the tests read.
type index struct {
	SchemaVersion int            `json:"schema_version"`
	Interrupted   bool           `json:"interrupted"`
	Shard         string         `json:"shard"`
	Counts        map[string]int `json:"counts"`
	Documents     []struct {
		Source  string   `json:"source"`
		Path    string   `json:"path"`
		Status  string   `json:"status"`
		Reason  string   `json:"reason"`
		Outputs []string `json:"outputs"`
	} `json:"documents"`
}

func readIndex(t *testing.T, p string) index {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return idx
}

// checkClean fails when a temporary file is left under dir, or a JSON file
// does not parse.
func checkClean(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), ".llsum-probe") {
			t.Errorf("temporary file left: %s", p)
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !json.Valid(data) {
				t.Errorf("%s is not valid JSON (half-written?)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mtimes maps every file under dir to its modification time.
func mtimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				m[p] = fi.ModTime()
			}
		}
		return nil
	})
	return m
}

// startLogged starts cmd and returns a channel of its JSON events as they
// come and a function that waits for the end.
func startLogged(t *testing.T, cmd *exec.Cmd) (<-chan event, func() result) {
	t.Helper()
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan event, 1<<16)
	var all bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(io.TeeReader(pr, &all))
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				ch <- e
			}
		}
	}()
	return ch, func() result {
		<-done
		err := cmd.Wait()
		return finish(t, cmd, err, all.String())
	}
}

// statusReport is the part of `llsum status --json` the tests read.
type statusReport struct {
	Documents map[string]int `json:"documents"`
	LastRun   *struct {
		Status string         `json:"status"`
		Counts map[string]int `json:"counts"`
	} `json:"last_run"`
	FailedTotal int `json:"failed_total"`
	StaleTotal  int `json:"stale_total"`
}

// status runs `llsum status --json OUT` in dir.
func status(t *testing.T, dir, out string) statusReport {
	t.Helper()
	cmd := exec.Command(bin, "status", "--json", out)
	cmd.Dir = dir
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("llsum status %s: %v", out, err)
	}
	var st statusReport
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("llsum status --json: %v\n%s", err, data)
	}
	return st
}
