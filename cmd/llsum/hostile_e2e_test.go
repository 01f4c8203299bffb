package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/dirlock"
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
	// Compile PDFium into the cache first: the first use compiles it
	// (about 350 MB, once per machine), which is not what is measured.
	if r := runLLSum(t, ".", "extract", "--pdf-engine", "pdfium", filepath.Join(testenv.ModuleRoot(t), "testdata", "docs", "solar-energy.pdf")); r.code != 0 {
		t.Fatalf("warming the PDFium cache: exit %d\n%s", r.code, r.stderr)
	}
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
				"hostile/e-objstm.pdf":  hostilepdf.ObjStmArray(200),
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
				for _, name := range []string{"hostile/a-inflate.pdf", "hostile/d-fanout.pdf", "hostile/e-objstm.pdf"} {
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

// TestRunOutputSafety: a planted OUT/.llsum symlink is refused (nothing is
// written through it); an input folder named index.json does not stop the
// index from being written; outputs honour the umask; file names with line
// breaks and terminal escapes are escaped in the text log and in the
// Markdown Source line.
func TestRunOutputSafety(t *testing.T) {
	work := t.TempDir()
	in := filepath.Join(work, "in")
	evil := "evil\nllsum: ok forged.txt \x1b[31mred.txt"
	for name, text := range map[string]string{
		"index.json/a.txt": "The first document talks about solar power. It has two sentences.",
		"b.txt":            "The second document talks about wind power. It has two sentences.",
		evil:               "The third document has a hostile name. It has two sentences.",
	} {
		p := filepath.Join(in, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A symlinked OUT/.llsum is refused before anything is written.
	outLinked := filepath.Join(work, "linked")
	elsewhere := filepath.Join(work, "elsewhere")
	os.MkdirAll(outLinked, 0o755)
	os.MkdirAll(elsewhere, 0o755)
	if err := os.Symlink(elsewhere, filepath.Join(outLinked, ".llsum")); err != nil {
		t.Fatal(err)
	}
	r := runLLSum(t, work, "run", "--out", "linked", "in")
	if r.code == 0 || !strings.Contains(r.stderr, "symbolic link") {
		t.Fatalf("symlinked .llsum: exit %d\n%s", r.code, r.stderr)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatalf("wrote %d entries through the .llsum link", len(ents))
	}

	// umask 077: outputs are private.
	cmd := exec.Command("/bin/sh", "-c", `umask 077 && exec "$0" "$@"`, llsumBin(t), "run", "-j", "1", "--out", "out", "in")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "LLSUM_MODEL=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	out := filepath.Join(work, "out")
	st := statuses(readIndex(t, out))
	if st["index.json/a.txt"] != pipeline.StatusOK || st["b.txt"] != pipeline.StatusOK || st[evil] != pipeline.StatusOK {
		t.Errorf("statuses %v\n%s", st, errb.String())
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s is %v under umask 077", p, fi.Mode().Perm())
			}
		}
		return nil
	})
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(l, "llsum: ok forged") || strings.Contains(l, "\x1b") {
			t.Errorf("log line forged or raw escape: %q", l)
		}
	}
	if !strings.Contains(errb.String(), `evil\nllsum: ok forged.txt \x1b[31mred.txt`) {
		t.Errorf("hostile name not escaped in the log:\n%s", errb.String())
	}
	md, err := os.ReadFile(filepath.Join(out, "evil_llsum: ok forged.txt _[31mred.txt.md"))
	if err != nil {
		ents, _ := os.ReadDir(out)
		t.Fatalf("%v (outputs: %v)", err, ents)
	}
	if strings.Contains(string(md), "\x1b") || !strings.Contains(string(md), "Source: `evil\\nllsum: ok forged.txt \\x1b[31mred.txt`") {
		t.Errorf("Markdown source line not escaped:\n%s", md)
	}
}

// TestWaitInterrupted: SIGINT while `llsum run --wait` waits for another
// run's lock exits 130 (interrupted), not 2.
func TestWaitInterrupted(t *testing.T) {
	work := t.TempDir()
	in := filepath.Join(work, "in")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("A document. It has two sentences."), 0o644)
	l, err := dirlock.Acquire(context.Background(), filepath.Join(work, "out", pipeline.StateDir, "lock"), dirlock.Exclusive, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	cmd := exec.Command(llsumBin(t), "run", "--wait", "--out", "out", "in")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "LLSUM_MODEL=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // it is waiting for the lock
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, errb.String())
	}
}
