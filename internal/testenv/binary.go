package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
)

// Binary is a command of this module built for process-level tests: once per
// test binary, on first use, into a temporary folder that Cleanup removes.
// Declare one per test package and call Cleanup from TestMain after m.Run:
//
//	var llsum = &testenv.Binary{Pkg: "./cmd/llsum"}
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		llsum.Cleanup()
//		os.Exit(code)
//	}
type Binary struct {
	// Pkg is the package to build, relative to the module root.
	Pkg string
	// Race builds with -race when the test binary itself runs with it.
	Race bool

	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds the binary on the first call and returns its path; a failed
// build returns the same error (with go build's output) every time.
func (b *Binary) Path() (string, error) {
	b.once.Do(func() { b.path, b.err = b.build() })
	return b.path, b.err
}

func (b *Binary) build() (string, error) {
	root, err := FindModuleRoot()
	if err != nil {
		return "", err
	}
	b.dir, err = os.MkdirTemp("", "llsum-test-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(b.dir, path.Base(b.Pkg))
	args := []string{"build", "-o", bin}
	if b.Race && RaceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, b.Pkg)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", b.Pkg, err, out)
	}
	return bin, nil
}

// Cleanup removes the temporary folder of a built binary; it does nothing
// when the binary was never built.
func (b *Binary) Cleanup() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}
