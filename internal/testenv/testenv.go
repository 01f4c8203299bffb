// Package testenv finds what tests read outside their package: the module
// root and the team's shared folder (../shared beside it), and builds the
// binaries that process-level tests run. Missing test data fails a test when
// CI is set and skips it elsewhere, naming `make deps`.
package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FindModuleRoot walks up from the working folder to the one holding go.mod.
// It is for TestMain, where there is no testing.TB; tests call ModuleRoot.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test folder")
		}
		dir = parent
	}
}

// ModuleRoot is FindModuleRoot for a test: it fails the test when there is
// no go.mod above the working folder.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
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
