package envconfig

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Setenv("LLSUM_DEVICE", "")
	if got := Lookup("LLSUM_DEVICE"); got != "auto" {
		t.Fatalf("default = %q, want auto", got)
	}
	t.Setenv("LLSUM_DEVICE", " cpu ")
	if got := Lookup("LLSUM_DEVICE"); got != "cpu" {
		t.Fatalf("set = %q, want cpu", got)
	}
	t.Setenv("LLSUM_UNLISTED", "x")
	if got := Lookup("LLSUM_UNLISTED"); got != "" {
		t.Fatalf("unlisted variable read: %q", got)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("LLSUM_CACHE", "/tmp/c")
	if got := CacheDir(); got != "/tmp/c" {
		t.Fatalf("CacheDir = %q", got)
	}
	t.Setenv("LLSUM_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/tmp/xdg")
	if got := CacheDir(); got != filepath.Join("/tmp/xdg", "llsum") {
		t.Fatalf("CacheDir = %q", got)
	}
}

func TestHelpListsEveryVar(t *testing.T) {
	h := Help()
	for _, v := range Vars {
		if !strings.Contains(h, v.Name) {
			t.Fatalf("help misses %s", v.Name)
		}
	}
}
