// Package testenv finds what tests read outside their package: the module
// root and the team's shared folder (../shared beside it). Missing test data
// fails a test when CI is set and skips it elsewhere, naming `make deps`.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot walks up from the working folder to the one holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test folder")
		}
		dir = parent
	}
}

// Shared returns the path of elem under ../shared beside the module root
// (the folder itself without elem), failing or skipping when it is missing.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	path := filepath.Join(append([]string{filepath.Dir(ModuleRoot(t)), "shared"}, elem...)...)
	if _, err := os.Stat(path); err != nil {
		Missing(t, "shared test data ("+path+")")
	}
	return path
}

// Missing fails the test under CI and skips it elsewhere.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s missing; run `make deps`", what)
	}
	t.Skipf("%s missing; run `make deps`", what)
}
