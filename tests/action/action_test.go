// Package action_test runs the steps of the composite GitHub Action
// (action.yml, scripts/action/*.sh) the way a runner does: the variables a
// runner sets (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH,
// RUNNER_TEMP, GITHUB_WORKSPACE, …), a release archive with checksums.txt
// served from a local server, and the extractive backend on testdata/docs.
package action_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
)

// runner is a fake GitHub runner: its files and environment.
type runner struct {
	root, temp, workspace            string
	output, summary, envFile, pathFl string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	d := t.TempDir()
	r := &runner{
		root:      testenv.ModuleRoot(t),
		temp:      filepath.Join(d, "runner-temp"),
		workspace: filepath.Join(d, "workspace"),
		output:    filepath.Join(d, "github_output"),
		summary:   filepath.Join(d, "step_summary.md"),
		envFile:   filepath.Join(d, "github_env"),
		pathFl:    filepath.Join(d, "github_path"),
	}
	for _, p := range []string{r.temp, r.workspace} {
		os.MkdirAll(p, 0o755)
	}
	for _, p := range []string{r.output, r.summary, r.envFile, r.pathFl} {
		os.WriteFile(p, nil, 0o644)
	}
	return r
}

// step runs scripts/action/NAME with the runner's variables plus env.
func (r *runner) step(t *testing.T, name string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(r.root, "scripts", "action", name))
	cmd.Dir = r.workspace
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	cmd.Env = append(os.Environ(),
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_ACTION_PATH="+r.root,
		"GITHUB_WORKSPACE="+r.workspace,
		"GITHUB_OUTPUT="+r.output,
		"GITHUB_STEP_SUMMARY="+r.summary,
		"GITHUB_ENV="+r.envFile,
		"GITHUB_PATH="+r.pathFl,
		"RUNNER_TEMP="+r.temp,
		"RUNNER_OS=Linux",
		"RUNNER_ARCH="+arch,
		"LLSUM_MODEL=", "LLSUM_NO_PROGRESS=1",
	)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// kv reads a GITHUB_OUTPUT / GITHUB_ENV file (NAME=VALUE lines).
func kv(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// releaseServer serves a release laid out as goreleaser names it: the
// archive llsum_linux_ARCH.tar.gz and checksums.txt, under
// /download/TAG/ and /latest/download/.
func releaseServer(t *testing.T, bin string, corrupt bool) *httptest.Server {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "README.md", Mode: 0o644, Size: 3})
	tw.Write([]byte("hi\n"))
	tw.WriteHeader(&tar.Header{Name: "llsum", Mode: 0o755, Size: int64(len(data))})
	tw.Write(data)
	tw.Close()
	zw.Close()
	archive := "llsum_linux_" + runtime.GOARCH + ".tar.gz"
	sum := sha256.Sum256(buf.Bytes())
	sums := fmt.Sprintf("%s  %s\n%s  llsum_darwin_arm64.tar.gz\n", hex.EncodeToString(sum[:]), archive, strings.Repeat("0", 64))
	if corrupt {
		sums = strings.Replace(sums, hex.EncodeToString(sum[:1]), "zz", 1)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch filepath.Base(r.URL.Path) {
		case archive:
			w.Write(buf.Bytes())
		case "checksums.txt":
			w.Write([]byte(sums))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

var (
	buildOnce sync.Once
	binPath   string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// buildLLSum builds the binary once for the package's tests.
func buildLLSum(t *testing.T, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "llsum-action-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "llsum")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/llsum")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestActionExtractiveDigest(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Missing(t, "jq (scripts/setup.d installs it)")
	}
	r := newRunner(t)
	bin := buildLLSum(t, r.root)
	srv := releaseServer(t, bin, false)

	// Install: the release archive, verified, on PATH and in LLSUM_BIN.
	code, out := r.step(t, "install.sh", "LLSUM_VERSION=v9.9.9", "LLSUM_RELEASE_BASE="+srv.URL)
	if code != 0 || !strings.Contains(out, "llsum ") {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	installed := kv(t, r.envFile)["LLSUM_BIN"]
	if installed != filepath.Join(r.temp, "llsum-bin", "llsum") {
		t.Fatalf("GITHUB_ENV: %v", kv(t, r.envFile))
	}
	if p, _ := os.ReadFile(r.pathFl); strings.TrimSpace(string(p)) != filepath.Dir(installed) {
		t.Fatalf("GITHUB_PATH: %q", p)
	}

	// Summarize: testdata/docs (copied into the workspace), extractive.
	docs := filepath.Join(r.workspace, "docs")
	if err := os.CopyFS(docs, os.DirFS(filepath.Join(r.root, "testdata", "docs"))); err != nil {
		t.Fatal(err)
	}
	var entries []string
	filepath.WalkDir(docs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			entries = append(entries, p)
		}
		return nil
	})
	code, out = r.step(t, "run.sh", "LLSUM_BIN="+installed, "INPUT_PATHS=docs\n", "INPUT_STYLE=bullets",
		"INPUT_DIGEST=reports/digest", "INPUT_ARGS=-j 2")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	o := kv(t, r.output)
	wantDigest := filepath.Join(r.workspace, "reports", "digest.md")
	if o["digest"] != wantDigest || o["digest-json"] != filepath.Join(r.workspace, "reports", "digest.json") ||
		o["index"] != filepath.Join(r.temp, "llsum-summaries", "index.json") {
		t.Fatalf("outputs: %v", o)
	}
	if o["ok"] != fmt.Sprint(len(entries)) || o["failed"] != "0" || o["skipped"] != "0" {
		t.Fatalf("counts: %v (%d documents)\n%s", o, len(entries), out)
	}
	digest, err := os.ReadFile(wantDigest)
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := os.ReadFile(r.summary)
	if !strings.HasPrefix(string(summary), "# Digest") || !strings.Contains(string(summary), string(digest)) {
		t.Fatalf("step summary does not hold the digest:\n%s", summary)
	}

	// A second run skips the unchanged documents and says so in the outputs.
	os.WriteFile(r.output, nil, 0o644)
	code, out = r.step(t, "run.sh", "LLSUM_BIN="+installed, "INPUT_PATHS=docs", "INPUT_STYLE=bullets", "INPUT_DIGEST=reports/digest.md")
	if o = kv(t, r.output); code != 0 || o["skipped"] != fmt.Sprint(len(entries)) || o["ok"] != "0" {
		t.Fatalf("second run: exit %d, outputs %v\n%s", code, o, out)
	}

	// A failing run still writes its outputs and passes llsum's exit code on.
	os.WriteFile(r.output, nil, 0o644)
	code, out = r.step(t, "run.sh", "LLSUM_BIN="+installed, "INPUT_PATHS=missing-folder")
	if code != 2 || !strings.Contains(out, "::error::llsum run exited 2") || kv(t, r.output)["digest"] == "" {
		t.Fatalf("missing input: exit %d\n%s", code, out)
	}
	if code, out = r.step(t, "run.sh", "LLSUM_BIN="+installed, "INPUT_PATHS= "); code != 2 || !strings.Contains(out, "paths input is empty") {
		t.Fatalf("empty paths: exit %d\n%s", code, out)
	}
}

func TestActionInstallChecksum(t *testing.T) {
	r := newRunner(t)
	bin := buildLLSum(t, r.root)
	srv := releaseServer(t, bin, true)
	code, out := r.step(t, "install.sh", "LLSUM_RELEASE_BASE="+srv.URL)
	if code == 0 || !strings.Contains(out, "does not match the release's checksums.txt") {
		t.Fatalf("corrupt release: exit %d\n%s", code, out)
	}
	// A binary given as input is used as is.
	code, out = r.step(t, "install.sh", "LLSUM_GIVEN="+bin)
	if code != 0 || kv(t, r.envFile)["LLSUM_BIN"] != bin {
		t.Fatalf("given binary: exit %d %v\n%s", code, kv(t, r.envFile), out)
	}
}
