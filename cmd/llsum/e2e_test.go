package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
	"github.com/llsum/llsum/pipeline"
)

// llsumBinary is built once per test binary, on first use; TestMain
// removes it.
var llsumBinary = &testenv.Binary{Pkg: "./cmd/llsum"}

func TestMain(m *testing.M) {
	code := m.Run()
	llsumBinary.Cleanup()
	os.Exit(code)
}

// llsumBin returns the path of the llsum binary; end-to-end tests run it as
// a subprocess, as users and cron do.
func llsumBin(t *testing.T) string {
	t.Helper()
	path, err := llsumBinary.Path()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runLLSum runs the binary with args in dir and returns its exit code and
// output.
func runLLSum(t *testing.T, dir string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(llsumBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LLSUM_MODEL=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run llsum: %v", err)
	}
	return runResult{code, out.String(), errb.String()}
}

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readIndex(t *testing.T, out string) pipeline.Index {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx pipeline.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	return idx
}

func statuses(idx pipeline.Index) map[string]string {
	m := map[string]string{}
	for _, d := range idx.Documents {
		m[d.Source] = d.Status
	}
	return m
}

// documentSchema lists the per-document JSON fields the README documents,
// with the JSON type each must have.
var documentSchema = map[string]string{
	"schema_version": "number", "source": "string", "sha256": "string", "bytes": "number",
	"pages": "number", "characters": "number", "backend": "string", "model": "object",
	"parameters": "object", "summary": "string", "timings": "object", "tokens": "object",
	"created": "string",
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case bool:
		return "boolean"
	}
	return "null"
}

// checkDocumentJSON validates one output against the documented schema.
func checkDocumentJSON(t *testing.T, path, wantSource string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for k, typ := range documentSchema {
		if got := jsonType(m[k]); got != typ {
			t.Errorf("%s: field %q is %s, want %s", path, k, got, typ)
		}
	}
	known := map[string]bool{"title": true, "chunks": true, "levels": true, "budget": true, "warnings": true, "language": true}
	for k := range m {
		if _, ok := documentSchema[k]; !ok && !known[k] {
			t.Errorf("%s: undocumented field %q", path, k)
		}
	}
	if m["schema_version"] != float64(pipeline.SchemaVersion) {
		t.Errorf("%s: schema_version %v", path, m["schema_version"])
	}
	if m["source"] != wantSource {
		t.Errorf("%s: source %v, want %s", path, m["source"], wantSource)
	}
	if h, _ := m["sha256"].(string); len(h) != 64 {
		t.Errorf("%s: sha256 %q", path, h)
	}
	if s, _ := m["summary"].(string); strings.TrimSpace(s) == "" {
		t.Errorf("%s: empty summary", path)
	}
	if m["backend"] != "extractive" {
		t.Errorf("%s: backend %v", path, m["backend"])
	}
	return m
}

func TestRunTestdataDocs(t *testing.T) {
	work := t.TempDir()
	copyTree(t, filepath.Join(testenv.ModuleRoot(t), "testdata", "docs"), filepath.Join(work, "docs"))
	r := runLLSum(t, work, "run", "docs")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("results leaked to stdout: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "summaries are extractive") || strings.Count(r.stderr, "notice:") != 1 {
		t.Fatalf("want one extractive notice line on stderr:\n%s", r.stderr)
	}
	want := []string{"guides/getting-started.md", "meeting-notes.txt", "solar-energy.pdf", "zh/llama-zh.pdf"}
	idx := readIndex(t, filepath.Join(work, "summaries"))
	var got []string
	for _, d := range idx.Documents {
		got = append(got, d.Source)
		if d.Status != pipeline.StatusOK {
			t.Errorf("%s: status %s (%s)", d.Source, d.Status, d.Error)
		}
		if d.Pages < 1 || d.Characters < 100 || d.Bytes < 100 {
			t.Errorf("%s: pages %d characters %d bytes %d", d.Source, d.Pages, d.Characters, d.Bytes)
		}
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("documents %v, want %v", got, want)
	}
	if idx.Counts.OK != 4 || idx.Model.Backend != "extractive" || idx.Parameters.MaxNewTokens != 512 {
		t.Fatalf("index header: %+v %+v %+v", idx.Counts, idx.Model, idx.Parameters)
	}
	for _, src := range want {
		base := filepath.Join(work, "summaries", filepath.FromSlash(src))
		m := checkDocumentJSON(t, base+".json", src)
		md, err := os.ReadFile(base + ".md")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(md), "# ") || !strings.Contains(string(md), "Extractive summary") ||
			!strings.Contains(string(md), strings.TrimSpace(m["summary"].(string))) {
			t.Errorf("%s.md does not hold the title, the extractive line and the summary:\n%s", src, md)
		}
	}
	zh := checkDocumentJSON(t, filepath.Join(work, "summaries", "zh", "llama-zh.pdf.json"), "zh/llama-zh.pdf")
	if s := zh["summary"].(string); !strings.Contains(s, "本地语言模型") {
		t.Errorf("Chinese summary lost its text: %q", s)
	}
}

func TestRunFormatsAndStdout(t *testing.T) {
	work := t.TempDir()
	doc := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	r := runLLSum(t, work, "run", "--format", "json", "--stdout", "--out", "o", doc)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "o", "meeting-notes.txt.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(work, "o", "meeting-notes.txt.md")); err == nil {
		t.Fatal("--format json wrote Markdown")
	}
	if !strings.HasPrefix(r.stdout, "# meeting-notes.txt") {
		t.Fatalf("--stdout printed %q", r.stdout)
	}
	if r := runLLSum(t, work, "run", "--format", "pdf", doc); r.code != 2 || !strings.Contains(r.stderr, "--format") {
		t.Fatalf("bad --format: exit %d, %s", r.code, r.stderr)
	}
}

func TestRunQuietAndIncludeExclude(t *testing.T) {
	work := t.TempDir()
	copyTree(t, filepath.Join(testenv.ModuleRoot(t), "testdata", "docs"), filepath.Join(work, "docs"))
	// Hidden folders are skipped, and so is the output folder inside the input.
	os.MkdirAll(filepath.Join(work, "docs", ".git"), 0o755)
	os.WriteFile(filepath.Join(work, "docs", ".git", "notes.txt"), []byte("Hidden text. Never read."), 0o644)
	r := runLLSum(t, work, "run", "-q", "--out", "docs/out", "--include", "*.PDF", "--exclude", "zh/**", "docs")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q (quiet must print nothing on success)", r.code, r.stderr)
	}
	got := statuses(readIndex(t, filepath.Join(work, "docs", "out")))
	if !reflect.DeepEqual(got, map[string]string{"solar-energy.pdf": "ok"}) {
		t.Fatalf("documents %v", got)
	}
	// Running again over the folder holding the outputs must not read them.
	r = runLLSum(t, work, "run", "-q", "--out", "docs/out", "docs")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for src := range statuses(readIndex(t, filepath.Join(work, "docs", "out"))) {
		if strings.HasPrefix(src, "out/") || strings.Contains(src, ".git") {
			t.Fatalf("walked into %s", src)
		}
	}
}

func TestRunBadInputs(t *testing.T) {
	work := t.TempDir()
	in := filepath.Join(work, "in")
	copyTree(t, filepath.Join(testenv.ModuleRoot(t), "testdata", "docs"), in)
	copyTree(t, filepath.Join(testenv.ModuleRoot(t), "testdata", "bad"), filepath.Join(in, "bad"))
	os.Remove(filepath.Join(in, "bad", "README.md"))
	if err := os.Symlink(filepath.Join(work, "nowhere.pdf"), filepath.Join(in, "bad", "dangling.pdf")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(in, "bad", "fifo.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A symlink loop must not hang the walk.
	if err := os.Symlink("..", filepath.Join(in, "bad", "loop")); err != nil {
		t.Fatal(err)
	}
	// A corpus PDF that is cut in half.
	half := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "corpus", "pdf", "truncated-half-R-intro.pdf")
	if data, err := os.ReadFile(half); err == nil {
		os.WriteFile(filepath.Join(in, "bad", "half.pdf"), data, 0o644)
	} else {
		t.Fatalf("shared corpus missing: %v", err)
	}

	r := runLLSum(t, work, "run", "-j", "2", "in", "missing-folder")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (a missing path is a configuration error)\n%s", r.code, r.stderr)
	}
	idx := readIndex(t, filepath.Join(work, "summaries"))
	st := statuses(idx)
	// bad/half.pdf is cut in half, but its cross-reference is rebuilt and
	// the pages found are read (extract's repair).
	for _, ok := range []string{"solar-energy.pdf", "zh/llama-zh.pdf", "meeting-notes.txt", "guides/getting-started.md", "bad/half.pdf"} {
		if st[ok] != pipeline.StatusOK {
			t.Errorf("good document %s: %q", ok, st[ok])
		}
	}
	bad := []string{"bad/empty.pdf", "bad/not-a-pdf.pdf", "bad/header-only.pdf", "bad/truncated.pdf",
		"bad/dangling.pdf", "bad/fifo.txt", "bad/panic-bad-tj.pdf"}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for _, b := range bad {
		if st[b] == pipeline.StatusOK || st[b] == "" {
			t.Errorf("bad input %s: status %q", b, st[b])
		}
		n := 0
		for _, l := range lines {
			if strings.Contains(l, filepath.Join("in", b)) && (strings.Contains(l, "error:") || strings.Contains(l, "skipped")) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("want one stderr line naming %s, got %d:\n%s", b, n, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(work, "summaries", b+".json")); err == nil {
			t.Errorf("an output was written for bad input %s", b)
		}
	}
	if !strings.Contains(r.stderr, "missing-folder: no such file or folder") {
		t.Errorf("missing path not reported:\n%s", r.stderr)
	}
	if len(idx.Errors) != 1 {
		t.Errorf("index errors %v", idx.Errors)
	}
	for _, d := range idx.Documents {
		if d.Status == pipeline.StatusFailed && (strings.Contains(d.Error, "\n") || d.Error == "") {
			t.Errorf("%s: error must be one non-empty line: %q", d.Source, d.Error)
		}
	}
	// No temp files anywhere in the output.
	filepath.WalkDir(filepath.Join(work, "summaries"), func(p string, d os.DirEntry, err error) error {
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})

	// Without the missing path, failed documents give exit code 1.
	r = runLLSum(t, work, "run", "--out", "s2", "in")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
}

func TestRunUnwritableOutput(t *testing.T) {
	work := t.TempDir()
	blocker := filepath.Join(work, "file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	doc := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	r := runLLSum(t, work, "run", "--out", filepath.Join(blocker, "sub"), doc)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, "output folder") || !strings.Contains(last, blocker) {
		t.Fatalf("error does not name the output folder: %q", last)
	}
}

func TestUsageErrors(t *testing.T) {
	work := t.TempDir()
	for _, args := range [][]string{
		{"run"},
		{"run", "--no-such-flag", "x"},
		{"run", "-j", "0", "x"},
		{"run", "--include", "[", "x"},
		{"frobnicate"},
		{"extract"},
	} {
		r := runLLSum(t, work, args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "llsum: error:") {
			t.Errorf("%v: no error line: %q", args, r.stderr)
		}
	}
}

func TestHelpIsComplete(t *testing.T) {
	work := t.TempDir()
	r := runLLSum(t, work, "--help")
	for _, want := range []string{"Exit codes", "130", "LLSUM_MODEL", "run", "extract", "version", "Examples"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("llsum --help lacks %q", want)
		}
	}
	r = runLLSum(t, work, "run", "--help")
	for _, want := range []string{"--out", "--format", "--include", "--exclude", "--jobs", "--quiet", "--stdout", "--max-new-tokens", "--pdf-engine"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("llsum run --help lacks %q", want)
		}
	}
}

func TestExtractCommand(t *testing.T) {
	work := t.TempDir()
	pdf := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "solar-energy.pdf")
	r := runLLSum(t, work, "extract", pdf)
	if r.code != 0 || !strings.Contains(r.stdout, "Rooftop solar panels") || !strings.Contains(r.stdout, "\f") {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	r = runLLSum(t, work, "extract", "--json", pdf)
	var doc struct {
		Pages []struct {
			Number int    `json:"number"`
			Text   string `json:"text"`
			Engine string `json:"engine"`
		} `json:"pages"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Pages) != 2 || doc.Pages[1].Number != 2 || doc.Pages[0].Engine == "" {
		t.Fatalf("--json: %v %+v", err, doc)
	}
	r = runLLSum(t, work, "extract", filepath.Join(testenv.ModuleRoot(t), "testdata", "bad", "empty.pdf"))
	if r.code != 1 || !strings.Contains(r.stderr, "empty.pdf") {
		t.Fatalf("bad file: exit %d, %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := runLLSum(t, t.TempDir(), "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "llsum ") {
		t.Fatalf("version: %d %q", r.code, r.stdout)
	}
}

// TestRunSharedCorpus runs llsum over the team's corpus of real PDFs (the
// largest ones only without -short): every file ends ok, failed or skipped
// with a reason, and the run's exit code follows.
func TestRunSharedCorpus(t *testing.T) {
	corpus := filepath.Join(testenv.ModuleRoot(t), "..", "shared", "corpus", "pdf")
	if _, err := os.Stat(corpus); err != nil {
		t.Fatalf("shared corpus missing: %v", err)
	}
	work := t.TempDir()
	args := []string{"run", "-q", "--out", "out", "--format", "json"}
	if testing.Short() {
		args = append(args, "--exclude", "R-fullrefman.pdf", "--exclude", "octave.pdf")
	}
	r := runLLSum(t, work, append(args, corpus)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the corpus holds broken files)\n%s", r.code, r.stderr)
	}
	idx := readIndex(t, filepath.Join(work, "out"))
	entries, _ := os.ReadDir(corpus)
	pdfs := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pdf") {
			pdfs++
		}
	}
	if testing.Short() {
		pdfs -= 2
	}
	if len(idx.Documents) != pdfs {
		t.Fatalf("%d documents in the index, %d PDFs in the corpus", len(idx.Documents), pdfs)
	}
	for _, d := range idx.Documents {
		switch d.Status {
		case pipeline.StatusOK:
			checkDocumentJSON(t, filepath.Join(work, "out", d.Source+".json"), d.Source)
		case pipeline.StatusFailed:
			if !strings.Contains(r.stderr, d.Path) {
				t.Errorf("failure of %s not on stderr", d.Path)
			}
		case pipeline.StatusSkipped:
			if d.Reason == "" {
				t.Errorf("%s skipped without a reason", d.Source)
			}
		default:
			t.Errorf("%s: status %q", d.Source, d.Status)
		}
	}
	for _, name := range []string{"empty.pdf", "garbage-after-header.pdf"} {
		if st := statuses(idx)[name]; st != pipeline.StatusFailed {
			t.Errorf("%s: status %q, want failed", name, st)
		}
	}
	// Damaged files whose cross-reference can be rebuilt are read.
	for _, name := range []string{"truncated-half-R-intro.pdf", "truncated-tail-lo-table.pdf"} {
		if st := statuses(idx)[name]; st != pipeline.StatusOK {
			t.Errorf("%s: status %q, want ok (repaired)", name, st)
		}
	}
	if st := statuses(idx)["image-only-rfaq.pdf"]; st != pipeline.StatusSkipped {
		t.Errorf("image-only PDF: status %q, want skipped", st)
	}
}

// TestJSONLogIsAllJSON: with --log-format json every stderr line of a run is
// a JSON object, the extractive notice included.
func TestJSONLogIsAllJSON(t *testing.T) {
	work := t.TempDir()
	doc := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "meeting-notes.txt")
	r := runLLSum(t, work, "run", "--log-format", "json", doc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	events := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var rec struct {
			Event   string `json:"event"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		events[rec.Event]++
		if rec.Event == "notice" && !strings.Contains(rec.Message, "extractive") {
			t.Fatalf("notice %q", rec.Message)
		}
	}
	if events["notice"] != 1 || events["done"] != 1 || events["summary"] != 1 {
		t.Fatalf("events %v", events)
	}
}
