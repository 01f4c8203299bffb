package ortsetup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/ortsetup/ortsetuptest"
	"github.com/llsum/llsum/internal/testenv"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type tarEntry = ortsetuptest.Entry

func buildTgz(t *testing.T, entries ...tarEntry) []byte { return ortsetuptest.BuildTgz(t, entries...) }

func newRegistry(t *testing.T, tarballs map[string][]byte) *ortsetuptest.Registry {
	return ortsetuptest.NewRegistry(t, tarballs)
}

func TestInstallFromRegistry(t *testing.T) {
	lib := bytes.Repeat([]byte("ort cpu "), 5000)
	cuda := bytes.Repeat([]byte("ort cuda "), 3000)
	shared := []byte("shared provider")
	files := []File{
		{LibName, int64(len(lib)), sum(lib), "onnxruntime-node@1.29.0", "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"},
		{"libonnxruntime_providers_shared.so", int64(len(shared)), sum(shared), "@scope/gpu@0.4.9", "package/Plugins/shared.so"},
		{"libonnxruntime_providers_cuda.so", int64(len(cuda)), sum(cuda), "@scope/gpu@0.4.9", "package/Plugins/cuda.so"},
	}
	reg := newRegistry(t, map[string][]byte{
		"/onnxruntime-node/-/onnxruntime-node-1.29.0.tgz": buildTgz(t, tarEntry{Name: "package/README.md", Data: []byte("hi")}, tarEntry{Name: files[0].Path, Data: lib}),
		"/@scope/gpu/-/gpu-0.4.9.tgz":                     buildTgz(t, tarEntry{Name: files[1].Path, Data: shared}, tarEntry{Name: files[2].Path, Data: cuda}),
	})
	dest := t.TempDir()
	var logs []string
	o := Options{Dest: dest, NPMRegistry: reg.URL + "/", Files: files, Log: func(s string) { logs = append(logs, s) }}
	got, err := Install(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dest, LibName) {
		t.Fatalf("Install returned %s", got)
	}
	for _, f := range files {
		p := filepath.Join(dest, f.Name)
		st, err := os.Stat(p)
		if err != nil || !Verify(p, f.Size, f.SHA256) || st.Mode().Perm() != 0o755 {
			t.Fatalf("%s: %v %v", f.Name, st, err)
		}
	}
	if l, _ := os.Readlink(filepath.Join(dest, "libonnxruntime.so")); l != LibName {
		t.Fatalf("libonnxruntime.so -> %q", l)
	}
	// Idempotent: nothing fetched the second time.
	before := reg.Hits.Load()
	if _, err := Install(context.Background(), o); err != nil || reg.Hits.Load() != before {
		t.Fatalf("second install: %v, %d requests", err, reg.Hits.Load()-before)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "already installed") {
		t.Fatalf("logs: %v", logs)
	}

	// A tarball whose file does not match the pin installs nothing.
	bad := append([]File(nil), files[0])
	bad[0].SHA256 = sum([]byte("something else"))
	dest2 := t.TempDir()
	_, err = Install(context.Background(), Options{Dest: dest2, NPMRegistry: reg.URL, Files: bad})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), files[0].Path) {
		t.Fatalf("mismatch: %v", err)
	}
	if entries, _ := os.ReadDir(dest2); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	// A package that lacks the file, and a registry that lacks the package.
	missing := []File{{LibName, 1, sum([]byte("x")), "@scope/gpu@0.4.9", "package/nope.so"}}
	if _, err := Install(context.Background(), Options{Dest: t.TempDir(), NPMRegistry: reg.URL, Files: missing}); err == nil || !strings.Contains(err.Error(), "not in the package") {
		t.Fatalf("missing file: %v", err)
	}
	gone := []File{{LibName, 1, sum([]byte("x")), "nothere@1.0.0", "package/x"}}
	if _, err := Install(context.Background(), Options{Dest: t.TempDir(), NPMRegistry: reg.URL, Files: gone}); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("missing package: %v", err)
	}
}

// TestInstallWithNPMClient runs a stand-in npm client (a real process that
// writes the tarball into its working folder, as `npm pack` does).
func TestInstallWithNPMClient(t *testing.T) {
	lib := []byte("a library")
	files := []File{{LibName, int64(len(lib)), sum(lib), "onnxruntime-node@1.29.0", "package/lib.so"}}
	store := t.TempDir()
	os.WriteFile(filepath.Join(store, "onnxruntime-node-1.29.0.tgz"), buildTgz(t, tarEntry{Name: "package/lib.so", Data: lib}), 0o644)
	npm := filepath.Join(t.TempDir(), "npm")
	script := "#!/bin/sh\n[ \"$1 $2 $3\" = \"pack --silent onnxruntime-node@1.29.0\" ] || { echo \"bad args $*\" >&2; exit 1; }\ncp " + store + "/onnxruntime-node-1.29.0.tgz . && echo onnxruntime-node-1.29.0.tgz\n"
	os.WriteFile(npm, []byte(script), 0o755)
	dest := t.TempDir()
	if _, err := Install(context.Background(), Options{Dest: dest, NPM: npm, Files: files}); err != nil {
		t.Fatal(err)
	}
	if !Verify(filepath.Join(dest, LibName), files[0].Size, files[0].SHA256) {
		t.Fatal("not installed")
	}
	_, err := Install(context.Background(), Options{Dest: t.TempDir(), NPM: filepath.Join(t.TempDir(), "no-npm"), Files: files})
	if !errors.Is(err, ErrNoNPM) {
		t.Fatalf("without npm: %v", err)
	}
}

func TestInstallRelease(t *testing.T) {
	lib := []byte("release library")
	tgz := buildTgz(t,
		tarEntry{Name: "onnxruntime-linux-x64-1.29.0/include/onnxruntime_c_api.h", Data: []byte("/* api */")},
		tarEntry{Name: "onnxruntime-linux-x64-1.29.0/lib/libonnxruntime.so.1.29.0", Data: lib},
		tarEntry{Name: "onnxruntime-linux-x64-1.29.0/lib/libonnxruntime.so.1", Link: "libonnxruntime.so.1.29.0"},
		tarEntry{Name: "onnxruntime-linux-x64-1.29.0/lib/evil", Link: "../../etc/passwd"},
	)
	reg := newRegistry(t, map[string][]byte{"/ort.tgz": tgz})
	dest := t.TempDir()
	var logs []string
	_, err := Install(context.Background(), Options{Dest: dest, Source: SourceRelease, ReleaseURL: reg.URL + "/ort.tgz?token=x", Log: func(s string) { logs = append(logs, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, LibName)); string(got) != string(lib) {
		t.Fatalf("library: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dest, "evil")); err == nil {
		t.Fatal("a symlink out of the folder was installed")
	}
	if all := strings.Join(logs, "\n"); !strings.Contains(all, sum(tgz)) || strings.Contains(all, "token=x") {
		t.Fatalf("logs should print the tarball's sha256 and no query: %s", all)
	}
	_, err = Install(context.Background(), Options{Dest: t.TempDir(), Source: SourceRelease, ReleaseURL: reg.URL + "/ort.tgz", ReleaseSHA256: sum([]byte("x"))})
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("wrong sha256: %v", err)
	}
	if _, err := Install(context.Background(), Options{Dest: t.TempDir(), Source: "pip"}); err == nil {
		t.Fatal("unknown source accepted")
	}
}

// TestPinnedTable installs through the real pinned table from a tarball
// made of the library `make deps` installed: the pins are the ones that
// library has.
func TestPinnedTable(t *testing.T) {
	real := filepath.Join(envconfig.CacheDir(), "onnxruntime", Version, LibName)
	data, err := os.ReadFile(real)
	if err != nil {
		testenv.Missing(t, "ONNX Runtime library "+real)
	}
	f := CPUFiles[0]
	reg := newRegistry(t, map[string][]byte{"/onnxruntime-node/-/onnxruntime-node-1.29.0.tgz": buildTgz(t, tarEntry{Name: f.Path, Data: data})})
	dest := t.TempDir()
	if _, err := Install(context.Background(), Options{Dest: dest, NPMRegistry: reg.URL}); err != nil {
		t.Fatal(err)
	}
	if !Verify(filepath.Join(dest, LibName), f.Size, f.SHA256) {
		t.Fatal("installed library does not verify")
	}
}
