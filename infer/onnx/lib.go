package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/internal/envconfig"
)

// ORTVersion is the ONNX Runtime release llsum is built against (C API 1.29).
const ORTVersion = "1.29.0"

// libName is the file name of the ONNX Runtime shared library on Linux.
const libName = "libonnxruntime.so.1"

// ErrNoRuntime is returned (wrapped) when no usable ONNX Runtime library
// can be loaded: none found, a broken one, or one too old. The command line
// says how to install it.
var ErrNoRuntime = errors.New("no usable ONNX Runtime library")

// runtimeError marks an error as ErrNoRuntime without changing its text.
type runtimeError struct{ error }

func (e runtimeError) Unwrap() error        { return e.error }
func (e runtimeError) Is(target error) bool { return target == ErrNoRuntime }

// LibOptions says where to look for the ONNX Runtime library.
type LibOptions struct {
	// Path is an explicit library path (--ort-lib); it wins over everything.
	Path string
	// Env is the value of LLSUM_ORT_LIB.
	Env string
	// CacheDir is the llsum cache folder (LLSUM_CACHE); the install script
	// writes to CacheDir/onnxruntime/<version>/.
	CacheDir string
	// ExeDir is the folder of the running binary ("" to skip).
	ExeDir string
}

// DefaultLibOptions fills LibOptions from the environment (LLSUM_ORT_LIB,
// LLSUM_CACHE through internal/envconfig) and the executable's folder;
// explicit is the --ort-lib flag ("" when not given).
func DefaultLibOptions(explicit string) LibOptions {
	o := LibOptions{Path: explicit, Env: envconfig.ORTLib(), CacheDir: envconfig.CacheDir()}
	if exe, err := os.Executable(); err == nil {
		o.ExeDir = filepath.Dir(exe)
	}
	return o
}

// Candidate is one place the library was looked for.
type Candidate struct {
	Source string // "--ort-lib", "LLSUM_ORT_LIB", "binary folder", "install folder", "system"
	Path   string
}

// Candidates lists the places searched, in order: --ort-lib, LLSUM_ORT_LIB,
// next to the binary, the install folder, the system library folders.
func (o LibOptions) Candidates() []Candidate {
	var c []Candidate
	if o.Path != "" {
		c = append(c, Candidate{"--ort-lib", o.Path})
	}
	if o.Env != "" {
		c = append(c, Candidate{"LLSUM_ORT_LIB", o.Env})
	}
	if o.ExeDir != "" {
		c = append(c, Candidate{"binary folder", filepath.Join(o.ExeDir, libName)})
	}
	if o.CacheDir != "" {
		c = append(c, Candidate{"install folder", filepath.Join(o.CacheDir, "onnxruntime", ORTVersion, libName)})
	}
	for _, d := range []string{"/usr/local/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} {
		c = append(c, Candidate{"system", filepath.Join(d, libName)})
	}
	return c
}

// ErrLibraryNotFound is returned (wrapped) when no candidate exists.
var ErrLibraryNotFound = errors.New("ONNX Runtime library not found")

// FindLibrary returns the first existing candidate. An explicit path
// (--ort-lib or LLSUM_ORT_LIB) that does not exist is an error of its own
// rather than a silent fall-through.
func FindLibrary(o LibOptions) (Candidate, error) {
	for _, c := range o.Candidates() {
		st, err := os.Stat(c.Path)
		if err == nil && !st.IsDir() {
			return c, nil
		}
		if c.Source == "--ort-lib" || c.Source == "LLSUM_ORT_LIB" {
			return c, runtimeError{fmt.Errorf("%s %s: %w", c.Source, c.Path, ErrLibraryNotFound)}
		}
	}
	return Candidate{}, runtimeError{fmt.Errorf("%w (looked at LLSUM_ORT_LIB, next to the binary, %s, system folders)",
		ErrLibraryNotFound, filepath.Join(o.CacheDir, "onnxruntime", ORTVersion))}
}

// The ONNX Runtime environment is process-global by construction (the C
// library holds one OrtEnv and onnxruntime_go one library handle), so this
// package keeps the one piece of global state it cannot avoid: which library
// was loaded. Every other setting travels in Options.
var (
	runtimeMu   sync.Mutex
	runtimePath string
)

// Runtime describes the loaded library.
type Runtime struct {
	Path    string
	Source  string
	Version string
}

// LoadRuntime finds and initializes the ONNX Runtime library once per
// process. Later calls return the already loaded library; asking for a
// different explicit path then is an error.
func LoadRuntime(o LibOptions) (Runtime, error) {
	runtimeMu.Lock()
	defer runtimeMu.Unlock()
	if ort.IsInitialized() {
		if o.Path != "" && o.Path != runtimePath {
			return Runtime{}, fmt.Errorf("onnxruntime: %s already loaded, cannot switch to %s in the same process", runtimePath, o.Path)
		}
		return Runtime{Path: runtimePath, Source: "loaded", Version: ort.GetVersion()}, nil
	}
	c, err := FindLibrary(o)
	if err != nil {
		return Runtime{}, err
	}
	ort.SetSharedLibraryPath(c.Path)
	naiveGQA()
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "API version") || strings.Contains(msg, "GetApi") {
			return Runtime{}, runtimeError{fmt.Errorf("onnxruntime %s (%s) is not version %s: %w", c.Path, c.Source, ORTVersion, err)}
		}
		return Runtime{}, runtimeError{fmt.Errorf("onnxruntime %s (%s): %w", c.Path, c.Source, err)}
	}
	v := ort.GetVersion()
	if !versionAtLeast(v, ORTVersion) {
		_ = ort.DestroyEnvironment()
		return Runtime{}, runtimeError{fmt.Errorf("onnxruntime %s is version %s, llsum needs %s or newer", c.Path, v, ORTVersion)}
	}
	runtimePath = c.Path
	return Runtime{Path: c.Path, Source: c.Source, Version: v}, nil
}

// gqaFlashEnv is read by ONNX Runtime's CPU GroupQueryAttention kernel
// when a session creates it: "1" makes it skip its tiled flash-attention
// path.
const gqaFlashEnv = "ORT_GQA_DISABLE_FLASH_ATTENTION"

// naiveGQA sets gqaFlashEnv to 1 unless the user set it. ONNX Runtime 1.29's
// CPU GroupQueryAttention takes the flash path by default; for decode steps
// (one query row against the cache) its plain path is faster: per-layer
// kernel time on the 1B shape at a 4096-token context went from 3.9 to 1.9
// ms with one thread and from 1.2-1.3 to 1.0 ms with two, and at batch 4 ×
// 1024 from 3.1 to 2.6 ms. Prefill chunks change within ±15 % either way;
// the plain path holds a chunk × cache-capacity score matrix per head while
// it runs (32 heads × 256 × 4096 × 4 bytes = 128 MiB at a 4K context).
// ORT_GQA_DISABLE_FLASH_ATTENTION=0 keeps ONNX Runtime's default.
func naiveGQA() {
	if _, set := os.LookupEnv(gqaFlashEnv); !set {
		_ = os.Setenv(gqaFlashEnv, "1")
	}
}

// versionAtLeast compares dotted versions numerically (major.minor only).
func versionAtLeast(have, want string) bool {
	var h1, h2, w1, w2 int
	if _, err := fmt.Sscanf(have, "%d.%d", &h1, &h2); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(want, "%d.%d", &w1, &w2); err != nil {
		return false
	}
	return h1 > w1 || (h1 == w1 && h2 >= w2)
}
