package cron_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// llsumCmd runs a non-run llsum command in dir and returns its stdout.
func llsumCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llsum %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// TestIndexFormats: --index jsonl writes index.jsonl (the run, then one
// document a line) and removes index.json; --index none writes neither.
func TestIndexFormats(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 5, 3)
	if res := run(t, dir, "-o", "out", "in"); res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	res := run(t, dir, "--index", "jsonl", "-o", "out", "in")
	if res.code != 0 || len(res.of("summary")) != 1 || res.of("summary")[0].Index != "index.jsonl" {
		t.Fatalf("jsonl run: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "index.json")); err == nil {
		t.Error("index.json kept beside index.jsonl")
	}
	f, err := os.Open(filepath.Join(dir, "out", "index.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("index.jsonl line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 6 || lines[0]["schema_version"] == nil || lines[0]["documents"] != nil || lines[1]["status"] != "skipped" {
		t.Fatalf("index.jsonl: %d lines, first %v", len(lines), lines[0])
	}
	res = run(t, dir, "--index", "none", "-o", "out", "in")
	if res.code != 0 {
		t.Fatalf("none: exit %d\n%s", res.code, res.stderr)
	}
	for _, n := range []string{"index.json", "index.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, "out", n)); err == nil {
			t.Errorf("%s written with --index none", n)
		}
	}
	if st := status(t, dir, "out"); st.LastRun == nil || st.LastRun.Counts["skipped"] != 5 {
		t.Errorf("status after --index none: %+v", st)
	}
}

// TestStatusAndHistory: status names the failed documents and why, and the
// stale output of a document that changed and then failed (its old outputs
// stay); history --status failed --json lists the failures with their
// errors.
func TestStatusAndHistory(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 4, 3)
	write(t, filepath.Join(dir, "in", "broken.pdf"), "%PDF-1.4 not really")
	write(t, filepath.Join(dir, "in", "later-empty.txt"), "Some words in a sentence. And another one.")
	if res := run(t, dir, "-o", "out", "in"); res.code != 1 {
		t.Fatalf("first run: exit %d, want 1 (a failed document)\n%s", res.code, res.stderr)
	}
	write(t, filepath.Join(dir, "in", "later-empty.txt"), "")
	if res := run(t, dir, "-o", "out", "in"); res.code != 1 {
		t.Fatalf("second run: exit %d\n%s", res.code, res.stderr)
	}
	var st struct {
		Failed []struct {
			Path  string `json:"path"`
			Error string `json:"error"`
		} `json:"failed"`
		Stale []struct {
			Path  string `json:"path"`
			Stale string `json:"stale"`
		} `json:"stale"`
		LastRun struct {
			ID     int            `json:"id"`
			Status string         `json:"status"`
			Counts map[string]int `json:"counts"`
		} `json:"last_run"`
	}
	if err := json.Unmarshal([]byte(llsumCmd(t, dir, "status", "--json", "out")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Failed) != 2 || !strings.HasSuffix(st.Failed[0].Path, "broken.pdf") || !strings.Contains(st.Failed[0].Error, "broken.pdf") ||
		!strings.Contains(st.Failed[1].Error, "later-empty.txt: empty file") {
		t.Errorf("status failed: %+v", st.Failed)
	}
	if len(st.Stale) != 1 || !strings.HasSuffix(st.Stale[0].Path, "later-empty.txt") || st.Stale[0].Stale != "made from other content" {
		t.Errorf("status stale: %+v", st.Stale)
	}
	if st.LastRun.ID != 2 || st.LastRun.Status != "complete" || st.LastRun.Counts["failed"] != 2 || st.LastRun.Counts["skipped"] != 4 {
		t.Errorf("status last run: %+v", st.LastRun)
	}
	text := llsumCmd(t, dir, "status", "out")
	if !strings.Contains(text, "failed: 2") || !strings.Contains(text, "broken.pdf") || !strings.Contains(text, "later-empty.txt: made from other content") {
		t.Errorf("status text:\n%s", text)
	}

	out := llsumCmd(t, dir, "history", "--since", "1h", "--status", "failed", "--json", "out")
	runs, docs := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct {
			Run      *json.RawMessage `json:"run"`
			Document *struct {
				Path, Status, Error string
			} `json:"document"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		if m.Run != nil {
			runs++
		}
		if d := m.Document; d != nil {
			docs++
			if d.Status != "failed" || !strings.Contains(d.Error, filepath.Base(d.Path)) {
				t.Errorf("history document %+v", d)
			}
		}
	}
	if runs != 2 || docs != 2 {
		t.Errorf("history: %d runs, %d documents; want 2 and 2\n%s", runs, docs, out)
	}
	if out := llsumCmd(t, dir, "history", "--since", "2099-01-01", "out"); out != "" {
		t.Errorf("history of the future: %q", out)
	}
	cmd := exec.Command(bin, "status", "nowhere")
	cmd.Dir = dir
	if b, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(b), "no state database") {
		t.Errorf("status of a folder without state: exit %d, %s", cmd.ProcessState.ExitCode(), b)
	}
}
