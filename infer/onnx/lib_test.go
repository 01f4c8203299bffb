package onnx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindLibraryOrder(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) string {
		writeFile(t, p, "x")
		return p
	}
	explicit := mk(filepath.Join(root, "explicit", libName))
	env := mk(filepath.Join(root, "env", libName))
	exe := mk(filepath.Join(root, "bin", libName))
	cache := filepath.Join(root, "cache")
	installed := mk(filepath.Join(cache, "onnxruntime", ORTVersion, libName))
	cases := []struct {
		name string
		o    LibOptions
		want string
		src  string
	}{
		{"flag wins", LibOptions{Path: explicit, Env: env, ExeDir: filepath.Dir(exe), CacheDir: cache}, explicit, "--ort-lib"},
		{"env next", LibOptions{Env: env, ExeDir: filepath.Dir(exe), CacheDir: cache}, env, "LLSUM_ORT_LIB"},
		{"beside binary", LibOptions{ExeDir: filepath.Dir(exe), CacheDir: cache}, exe, "binary folder"},
		{"install folder", LibOptions{ExeDir: t.TempDir(), CacheDir: cache}, installed, "install folder"},
	}
	for _, c := range cases {
		got, err := FindLibrary(c.o)
		if err != nil || got.Path != c.want || got.Source != c.src {
			t.Errorf("%s: got %+v %v, want %s from %s", c.name, got, err, c.want, c.src)
		}
	}
	// An explicit path that does not exist is an error, not a fall-through.
	_, err := FindLibrary(LibOptions{Path: filepath.Join(root, "nope.so"), CacheDir: cache})
	if err == nil || !errors.Is(err, ErrLibraryNotFound) || !errors.Is(err, ErrNoRuntime) {
		t.Errorf("missing --ort-lib: %v", err)
	}
	_, err = FindLibrary(LibOptions{CacheDir: filepath.Join(root, "empty")})
	if _, sysErr := os.Stat("/usr/lib/" + libName); sysErr != nil {
		if err == nil || strings.Contains(err.Error(), "\n") || !errors.Is(err, ErrNoRuntime) {
			t.Errorf("nothing installed: %v", err)
		}
	}
}

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]string{"": "auto/0", "auto": "auto/0", "cpu": "cpu/0", "cuda": "cuda/0", "CUDA:3": "cuda/3"} {
		k, id, err := ParseDevice(in)
		if err != nil || k+"/"+string(rune('0'+id)) != want {
			t.Errorf("%q: %s %d %v", in, k, id, err)
		}
	}
	for _, bad := range []string{"gpu", "cuda:x", "cuda:-1"} {
		if _, _, err := ParseDevice(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDeviceSelection: explicit cuda without the provider library fails
// naming it; auto falls back to CPU with one notice.
func TestDeviceSelection(t *testing.T) {
	needRuntime(t)
	rt, _ := LoadRuntime(DefaultLibOptions(""))
	cudaLib := filepath.Join(filepath.Dir(rt.Path), "libonnxruntime_providers_cuda.so")
	if _, err := os.Stat(cudaLib); err == nil {
		t.Skip("CUDA provider installed here; the fallback path is checked on machines without it")
	}
	dir := sharedModel(t, "tiny-qwen2-gqa-fp16")
	_, err := Open(context.Background(), Options{Model: dir, Device: "cuda", Lib: DefaultLibOptions("")})
	if err == nil || !strings.Contains(err.Error(), "libonnxruntime_providers_") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("explicit cuda: %v", err)
	}
	var notices []string
	e, err := Open(context.Background(), Options{Model: dir, Device: "auto", Lib: DefaultLibOptions(""),
		Notice: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Device() != "cpu" || len(notices) != 1 || strings.Contains(notices[0], "\n") {
		t.Errorf("auto: device %s notices %q", e.Device(), notices)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		have string
		want bool
	}{{"1.29.0", true}, {"1.29.1", true}, {"1.30.0", true}, {"2.0.0", true}, {"1.28.2", false}, {"1.9.0", false}, {"junk", false}} {
		if got := versionAtLeast(c.have, ORTVersion); got != c.want {
			t.Errorf("%s: %v", c.have, got)
		}
	}
}

// naiveGQA turns ONNX Runtime's CPU GroupQueryAttention flash path off
// unless the user chose.
func TestNaiveGQA(t *testing.T) {
	t.Setenv(gqaFlashEnv, "0")
	naiveGQA()
	if got := os.Getenv(gqaFlashEnv); got != "0" {
		t.Errorf("user's 0 became %q", got)
	}
	os.Unsetenv(gqaFlashEnv)
	naiveGQA()
	if got := os.Getenv(gqaFlashEnv); got != "1" {
		t.Errorf("unset: got %q, want 1", got)
	}
}
