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

func TestGetters(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		get         func() string
		want        string
	}{
		{"LLSUM_MODEL", "", Model, ""},
		{"LLSUM_MODEL", " /m ", Model, "/m"},
		{"LLSUM_ORT_LIB", "/lib/ort.so", ORTLib, "/lib/ort.so"},
		{"LLSUM_PDF_PASSWORD", "pw", PDFPassword, "pw"},
		{"LLSUM_API_KEY", "k", APIKey, "k"},
		{"LLSUM_DEVICE", "", Device, "auto"},
		{"LLSUM_DEVICE", "cuda:1", Device, "cuda:1"},
		{"HF_ENDPOINT", "", HFEndpoint, "https://huggingface.co"},
		{"HF_ENDPOINT", "http://127.0.0.1:1", HFEndpoint, "http://127.0.0.1:1"},
		{"HF_TOKEN", "t", HFToken, "t"},
		{"NPM_CONFIG_REGISTRY", "http://r/", NPMRegistry, "http://r/"},
	} {
		t.Setenv(tc.name, tc.value)
		if got := tc.get(); got != tc.want {
			t.Errorf("%s=%q: got %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	for _, b := range []struct {
		name string
		get  func() bool
	}{{"LLSUM_NO_PROGRESS", NoProgress}, {"LLSUM_FULL_LOGITS", FullLogits}} {
		for value, want := range map[string]bool{"": false, "0": false, "1": true, "yes": false} {
			t.Setenv(b.name, value)
			if got := b.get(); got != want {
				t.Errorf("%s=%q: got %v", b.name, value, got)
			}
		}
	}
}
