package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/genmodel"
	"github.com/llsum/llsum/internal/hub/hubtest"
	"github.com/llsum/llsum/internal/ortsetup"
	"github.com/llsum/llsum/internal/ortsetup/ortsetuptest"
	"github.com/llsum/llsum/internal/testenv"
)

const (
	pullName  = "llama-3.2-1b-cpu-int4"
	pullRepo  = "onnx-community/Llama-3.2-1B-Instruct-ONNX"
	pullSub   = "cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4/"
	hubToken  = "hf_e2e_secret"
	largeFile = 64 << 10
)

// publishTinyModel serves a generated tiny genai model from a stand-in Hub
// as the built-in name's folder (a gated repo, so the token is needed).
func publishTinyModel(t *testing.T) (*hubtest.Server, map[string][]byte) {
	t.Helper()
	onnxtest.NeedRuntime(t)
	model := filepath.Join(t.TempDir(), "tiny")
	cfg := genmodel.Tiny()
	cfg.Flavour = "genai"
	cfg.ExternalData = true // as the published folders: model.onnx + model.onnx.data
	if err := genmodel.Write(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	srv := hubtest.New()
	t.Cleanup(srv.Close)
	srv.Token = hubToken
	files := map[string]hubtest.File{}
	contents := map[string][]byte{}
	entries, err := os.ReadDir(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(model, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[pullSub+e.Name()] = hubtest.File{Data: data, LFS: len(data) >= largeFile}
		contents[e.Name()] = data
	}
	files["README.md"] = hubtest.File{Data: []byte("# not part of the folder\n")}
	srv.AddRepo(pullRepo, &hubtest.Repo{Files: files, Gated: true})
	srv.AddRepo("org/broken", &hubtest.Repo{Files: map[string]hubtest.File{
		"model.onnx": {Data: []byte(strings.Repeat("weights ", 30000)), LFS: true},
	}})
	return srv, contents
}

// TestPullThenRun is the whole set-up on a machine with only the binary
// and a fresh cache: llsum setup (from a stand-in npm registry serving the
// real pinned library), llsum pull of a built-in name from the stand-in
// Hub, and llsum run --model NAME.
func TestPullThenRun(t *testing.T) {
	srv, contents := publishTinyModel(t)
	reg := pinnedRegistry(t)
	cache := t.TempDir()
	t.Setenv("LLSUM_CACHE", cache)
	t.Setenv("LLSUM_ORT_LIB", "")
	t.Setenv("NPM_CONFIG_REGISTRY", reg.URL)
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_TOKEN", hubToken)
	work := t.TempDir()

	r := runLLSum(t, work, "setup")
	lib := filepath.Join(cache, "onnxruntime", onnx.ORTVersion, "libonnxruntime.so.1")
	if r.code != 0 || strings.TrimSpace(r.stdout) != lib {
		t.Fatalf("setup: exit %d, printed %q\n%s", r.code, r.stdout, r.stderr)
	}
	hits := reg.Hits.Load()
	if r = runLLSum(t, work, "setup"); r.code != 0 || reg.Hits.Load() != hits || !strings.Contains(r.stderr, "already installed") {
		t.Fatalf("second setup: exit %d, %d fetches\n%s", r.code, reg.Hits.Load()-hits, r.stderr)
	}
	if r = runLLSum(t, work, "doctor"); r.code != 0 || !strings.Contains(r.stdout, lib) || !strings.Contains(r.stdout, "install folder") {
		t.Fatalf("doctor after setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runLLSum(t, work, "pull", pullName)
	if r.code != 0 {
		t.Fatalf("pull: exit %d\n%s", r.code, r.stderr)
	}
	dir := filepath.Join(cache, "models", pullName)
	if strings.TrimSpace(r.stdout) != dir {
		t.Fatalf("pull printed %q, want %q", r.stdout, dir)
	}
	for name, want := range contents {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != string(want) {
			t.Fatalf("%s differs after the pull (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err == nil {
		t.Fatal("a file outside the folder was pulled")
	}
	if srv.StorageAuth.Load() != 0 || strings.Contains(r.stderr, hubToken) {
		t.Fatal("the token left the Hub host or was printed")
	}

	r = runLLSum(t, work, "models")
	if r.code != 0 || !strings.Contains(r.stdout, pullName) || !strings.Contains(r.stdout, "pulled ") {
		t.Fatalf("models: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runLLSum(t, work, "models", "--json")
	var rows []modelRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Dir != dir || rows[0].Size < int64(len(contents["model.onnx.data"])) {
		t.Fatalf("models --json: %v %+v", err, rows)
	}

	docs := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs")
	r = runLLSum(t, work, "run", "--model", pullName, "--device", "cpu", "--max-new-tokens", "8", docs)
	if r.code != 0 {
		t.Fatalf("run --model %s: exit %d\n%s", pullName, r.code, r.stderr)
	}
	idx := readIndex(t, filepath.Join(work, "summaries"))
	if idx.Counts.OK != 4 || idx.Model.Backend != "onnx" {
		t.Fatalf("index: %+v %+v", idx.Counts, idx.Model)
	}

	// Pulling again fetches nothing.
	before := srv.StorageRequests.Load()
	r = runLLSum(t, work, "pull", pullName)
	if r.code != 0 || srv.StorageRequests.Load() != before {
		t.Fatalf("second pull: exit %d, %d storage requests\n%s", r.code, srv.StorageRequests.Load()-before, r.stderr)
	}
}

// TestPullKilledResumes kills a pull mid-file (SIGKILL, no chance to tidy
// up) and checks the next pull keeps what was there.
func TestPullKilledResumes(t *testing.T) {
	srv, contents := publishTinyModel(t)
	cache := t.TempDir()
	t.Setenv("LLSUM_CACHE", cache)
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_TOKEN", hubToken)
	data := filepath.Join(cache, "models", pullName, "model.onnx.data")
	size := int64(len(contents["model.onnx.data"]))

	srv.Faults.Rate.Store(max(size/8, 1))
	cmd := exec.Command(llsumBin(t), "pull", "--connections", "1", pullName)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := os.Stat(data + ".part"); err == nil && st.Size() > 0 {
			if _, err := os.Stat(data + ".part.json"); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no partial file appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Let the state file catch up with at least part of the data.
	time.Sleep(600 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(data); err == nil {
		t.Fatal("the killed pull left a complete-looking file")
	}
	srv.Faults.Rate.Store(0)
	served := srv.BytesServed.Load()
	r := runLLSum(t, t.TempDir(), "pull", pullName)
	if r.code != 0 {
		t.Fatalf("resumed pull: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "resuming") {
		t.Errorf("no resume notice:\n%s", r.stderr)
	}
	if again := srv.BytesServed.Load() - served; again >= size {
		t.Errorf("the resumed pull fetched %d bytes of a %d-byte file", again, size)
	}
	if got, _ := os.ReadFile(data); string(got) != string(contents["model.onnx.data"]) {
		t.Fatal("content differs after the resumed pull")
	}
}

// pinnedRegistry serves onnxruntime-node's tarball holding the library
// `make deps` installed, so that llsum setup's pinned checksums hold.
func pinnedRegistry(t *testing.T) *ortsetuptest.Registry {
	t.Helper()
	real := filepath.Join(envconfig.CacheDir(), "onnxruntime", ortsetup.Version, ortsetup.LibName)
	data, err := os.ReadFile(real)
	if err != nil {
		testenv.Missing(t, "ONNX Runtime library "+real)
	}
	f := ortsetup.CPUFiles[0]
	return ortsetuptest.NewRegistry(t, map[string][]byte{
		"/onnxruntime-node/-/onnxruntime-node-1.29.0.tgz": ortsetuptest.BuildTgz(t, ortsetuptest.Entry{Name: f.Path, Data: data}),
	})
}

func TestSetupErrors(t *testing.T) {
	if ortsetup.Version != onnx.ORTVersion {
		t.Fatalf("setup installs %s, the engine wants %s", ortsetup.Version, onnx.ORTVersion)
	}
	t.Setenv("LLSUM_CACHE", t.TempDir())
	t.Setenv("NPM_CONFIG_REGISTRY", "")
	r := runLLSum(t, t.TempDir(), "setup", "--source", "pip")
	if r.code != 2 || !strings.Contains(r.stderr, "want npm or release") {
		t.Fatalf("--source pip: exit %d\n%s", r.code, r.stderr)
	}
	// A registry that answers with a tarball whose library is not the
	// pinned one: nothing is installed.
	f := ortsetup.CPUFiles[0]
	bad := ortsetuptest.NewRegistry(t, map[string][]byte{
		"/onnxruntime-node/-/onnxruntime-node-1.29.0.tgz": ortsetuptest.BuildTgz(t, ortsetuptest.Entry{Name: f.Path, Data: []byte("not the library")}),
	})
	r = runLLSum(t, t.TempDir(), "setup", "--npm-registry", bad.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "does not match the recorded size/sha256") {
		t.Fatalf("bad tarball: exit %d\n%s", r.code, r.stderr)
	}
}

func TestPullErrors(t *testing.T) {
	srv, _ := publishTinyModel(t)
	t.Setenv("LLSUM_CACHE", t.TempDir())
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_TOKEN", "")
	srv.Configure(func(f *hubtest.Faults) { f.Corrupt = map[string]bool{"model.onnx": true} })
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pull", "no-such-name"}, 2, "not a built-in short name"},
		{[]string{"pull", "org/missing"}, 2, "no such repo or file"},
		{[]string{"pull", pullName}, 2, "needs HF_TOKEN"},
		{[]string{"pull", "org/broken"}, 1, "model.onnx: checksum mismatch"},
		{[]string{"pull", "org/broken:int8"}, 2, `no folder or variant "int8"`},
	}
	for _, c := range cases {
		r := runLLSum(t, t.TempDir(), c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		last := lines[len(lines)-1]
		if r.code != c.code || !strings.Contains(last, c.want) || !strings.HasPrefix(last, "llsum: error: ") {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit %d and a last line with %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}

// TestResolveModel: a pulled name becomes its folder, a folder or path stays
// as given, and a name that is neither is one error carrying the pull hint.
func TestResolveModel(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("LLSUM_CACHE", cache)
	folder := t.TempDir()
	for _, tc := range []struct {
		name, in, want string
		notPulled      bool
	}{
		{"empty", "", "", false},
		{"existing folder", folder, folder, false},
		{"missing path that is no name", "./no/such/a/b", "./no/such/a/b", false},
		{"short name not pulled", "llama-3.2-1b-cpu-int4", "", true},
		{"repo not pulled", "org/repo", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveModel(tc.in)
			var me *modelNotPulledError
			if errors.As(err, &me) != tc.notPulled {
				t.Fatalf("resolveModel(%q) error = %v, want not-pulled %v", tc.in, err, tc.notPulled)
			}
			if tc.notPulled {
				if code, msg := exitCode(context.Background(), err); code != exitUsage || !strings.Contains(msg, "llsum pull "+tc.in) {
					t.Fatalf("exitCode = %d, %q", code, msg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("resolveModel(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
