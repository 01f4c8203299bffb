package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/llsum/llsum/internal/hostilepdf"
	"github.com/llsum/llsum/internal/testenv"
	"github.com/llsum/llsum/pipeline"
)

// maxHostileRSS is the target for a folder holding hostile PDFs.
const maxHostileRSS = 512 << 20

// runLLSumRSS is runLLSum that also returns the child's peak resident set
// size in bytes (getrusage's ru_maxrss, in KiB on Linux).
func runLLSumRSS(t *testing.T, dir string, args ...string) (runResult, int64) {
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
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10
	}
	return runResult{code, out.String(), errb.String()}, rss
}

// TestRunHostilePDFs: PDFs built to cost gigabytes (content inflating to
// 300 MB, 2^30 pages from shared /Kids, a /Kids cycle, forms drawing forms
// 10^11 times) sit in a folder with good documents. With the default
// --doc-memory the process stays under 512 MB, the good documents are all
// summarized, the hostile ones fail alone or are read once with a
// warning. Under --pdf-engine pdfium the fan-out file must not break
// PDFium for the documents after it.
func TestRunHostilePDFs(t *testing.T) {
	for _, engine := range []string{"auto", "pdfium"} {
		t.Run(engine, func(t *testing.T) {
			work := t.TempDir()
			in := filepath.Join(work, "in")
			copyTree(t, filepath.Join(testenv.ModuleRoot(t), "testdata", "docs"), in)
			hostile := map[string][]byte{
				"hostile/a-inflate.pdf": hostilepdf.InflatingContent(300),
				"hostile/b-dag.pdf":     hostilepdf.SharedKids(30),
				"hostile/c-cycle.pdf":   hostilepdf.KidsCycle(),
				"hostile/d-fanout.pdf":  hostilepdf.FormFanout(11, 10),
			}
			os.MkdirAll(filepath.Join(in, "hostile"), 0o755)
			for name, data := range hostile {
				if len(data) > 1<<20 {
					t.Fatalf("%s is %d bytes", name, len(data))
				}
				if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, rss := runLLSumRSS(t, work, "run", "-j", "2", "--pdf-engine", engine, "--doc-timeout", "60s", "in")
			t.Logf("peak RSS %.0f MiB", float64(rss)/(1<<20))
			if rss > maxHostileRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, maxHostileRSS>>20)
			}
			if r.code != 1 && r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			st := statuses(readIndex(t, filepath.Join(work, "summaries")))
			for _, ok := range []string{"solar-energy.pdf", "zh/llama-zh.pdf", "meeting-notes.txt", "guides/getting-started.md"} {
				if st[ok] != pipeline.StatusOK {
					t.Errorf("good document %s: %q\n%s", ok, st[ok], r.stderr)
				}
			}
			if engine == "auto" {
				for _, name := range []string{"hostile/a-inflate.pdf", "hostile/d-fanout.pdf"} {
					if st[name] == pipeline.StatusOK {
						t.Errorf("%s was summarized", name)
					}
					if !strings.Contains(r.stderr, name) || !strings.Contains(r.stderr, "exceeds memory budget") {
						t.Errorf("no 'exceeds memory budget' line for %s:\n%s", name, r.stderr)
					}
				}
				for _, name := range []string{"hostile/b-dag.pdf", "hostile/c-cycle.pdf"} {
					if st[name] != pipeline.StatusOK {
						t.Errorf("%s: %q (the one page should be read once)", name, st[name])
					}
				}
			}
		})
	}
}
