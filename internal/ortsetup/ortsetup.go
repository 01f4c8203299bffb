// Package ortsetup installs the ONNX Runtime shared library llsum loads
// (and, for GPUs, the CUDA provider libraries) into the llsum cache, from
// the sources and with the pinned sizes and SHA-256 sums that
// scripts/install-onnxruntime.sh used:
//
//   - npm (default): files taken out of npm package tarballs, obtained with
//     the npm client (`npm pack`, no Node runtime needed) or, when a
//     registry URL is configured, over HTTP from that registry; every file
//     is checked against its pinned size and SHA-256 before it is
//     installed;
//   - release: Microsoft's release tarball onnxruntime-linux-ARCH[-gpu]-VERSION.tgz,
//     whose lib/ folder is installed as is (checked against a SHA-256 when
//     one is given).
//
// Installation is idempotent: files that are there and verify are kept.
// Nothing is installed half: each file is written to NAME.part and renamed.
package ortsetup

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/llsum/llsum/internal/atomicfile"
)

// Version is the ONNX Runtime release installed (onnx.ORTVersion).
const Version = "1.29.0"

// LibName is the library file llsum loads.
const LibName = "libonnxruntime.so.1"

// File is one pinned file of an npm package.
type File struct {
	Name    string // installed name
	Size    int64
	SHA256  string
	Package string // name@version
	Path    string // path inside the package tarball
}

// CPUFiles is the CPU library.
var CPUFiles = []File{
	{LibName, 44726808, "89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d", "onnxruntime-node@1.29.0", "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"},
}

// GPUFiles are the CUDA 13 provider libraries (CUDA 13 and cuDNN 9 must be
// installed system-wide).
var GPUFiles = []File{
	{"libonnxruntime_providers_shared.so", 14632, "c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772", "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9", "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"},
	{"libonnxruntime_providers_cuda.so", 229780440, "56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037", "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9", "package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so"},
}

// Sources.
const (
	SourceNPM     = "npm"
	SourceRelease = "release"
)

// Errors.
var (
	// ErrChecksum: a file or tarball does not match its pinned sum.
	ErrChecksum = errors.New("does not match the recorded size/sha256; not installed")
	// ErrNoNPM: the npm source needs the npm client or a registry URL.
	ErrNoNPM = errors.New("the npm source needs the npm client on PATH (apt-get install npm) or a registry URL (--npm-registry, NPM_CONFIG_REGISTRY); or use --source release")
	// ErrPlatform: no pinned files for this platform.
	ErrPlatform = errors.New("no pinned npm build for this platform; use --source release")
)

// Options say what to install where.
type Options struct {
	// Dest is the install folder ($LLSUM_CACHE/onnxruntime/VERSION).
	Dest   string
	GPU    bool
	Source string // SourceNPM (default) or SourceRelease
	// NPMRegistry is the registry's base URL for fetching tarballs over
	// HTTP; empty: use the npm client (`npm pack`).
	NPMRegistry string
	// NPM is the npm client (default "npm" on PATH).
	NPM string
	// ReleaseURL overrides the release tarball's URL; ReleaseSHA256, when
	// set, must match it.
	ReleaseURL    string
	ReleaseSHA256 string
	// Files overrides the pinned CPU/GPU tables (tests).
	Files []File
	HTTP  *http.Client
	// Start and Progress report the bytes of HTTP downloads.
	Start    func(total int64)
	Progress func(n int64)
	// Log receives one-line notices.
	Log func(string)
}

func (o *Options) logf(format string, a ...any) {
	if o.Log != nil {
		o.Log(fmt.Sprintf(format, a...))
	}
}

// ReleaseURL is the default release tarball URL for this platform.
func ReleaseURL(gpu bool) (string, error) {
	var flavour string
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64":
		flavour = "onnxruntime-linux-x64"
	case "linux/arm64":
		flavour = "onnxruntime-linux-aarch64"
	default:
		return "", fmt.Errorf("no ONNX Runtime release build for %s/%s that llsum loads (it needs %s): %w", runtime.GOOS, runtime.GOARCH, LibName, ErrPlatform)
	}
	if gpu {
		if runtime.GOARCH != "amd64" {
			return "", fmt.Errorf("the GPU build is linux/amd64 only: %w", ErrPlatform)
		}
		flavour += "-gpu"
	}
	return fmt.Sprintf("https://github.com/microsoft/onnxruntime/releases/download/v%s/%s-%s.tgz", Version, flavour, Version), nil
}

// Install installs the library and returns the path of LibName.
func Install(ctx context.Context, o Options) (string, error) {
	if o.Dest == "" {
		return "", errors.New("ortsetup: no install folder")
	}
	if err := os.MkdirAll(o.Dest, 0o755); err != nil {
		return "", err
	}
	var err error
	switch o.Source {
	case "", SourceNPM:
		err = installNPM(ctx, &o)
	case SourceRelease:
		err = installRelease(ctx, &o)
	default:
		return "", fmt.Errorf("unknown source %q (npm or release)", o.Source)
	}
	if err != nil {
		return "", err
	}
	lib := filepath.Join(o.Dest, LibName)
	if _, err := os.Stat(lib); err != nil {
		return "", fmt.Errorf("%s missing after the install: %w", lib, err)
	}
	link := filepath.Join(o.Dest, "libonnxruntime.so")
	if t, err := os.Readlink(link); err != nil || t != LibName {
		_ = os.Remove(link)
		if err := os.Symlink(LibName, link); err != nil {
			return "", err
		}
	}
	return lib, nil
}

func (o *Options) files() ([]File, error) {
	if o.Files != nil {
		return o.Files, nil
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("%s/%s: %w", runtime.GOOS, runtime.GOARCH, ErrPlatform)
	}
	fs := append([]File(nil), CPUFiles...)
	if o.GPU {
		fs = append(fs, GPUFiles...)
	}
	return fs, nil
}

// Verify reports whether path has the pinned size and SHA-256.
func Verify(path string, size int64, sum string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return false
	}
	got, _, err := fileSHA256(path)
	return err == nil && got == sum
}

func installNPM(ctx context.Context, o *Options) error {
	files, err := o.files()
	if err != nil {
		return err
	}
	// Group the missing files by package.
	var pkgs []string
	want := map[string][]File{}
	for _, f := range files {
		if Verify(filepath.Join(o.Dest, f.Name), f.Size, f.SHA256) {
			o.logf("%s already installed", f.Name)
			continue
		}
		if want[f.Package] == nil {
			pkgs = append(pkgs, f.Package)
		}
		want[f.Package] = append(want[f.Package], f)
	}
	if len(pkgs) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp("", "llsum-setup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, pkg := range pkgs {
		tgz, err := o.fetchPackage(ctx, pkg, tmp)
		if err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
		if err := extractPinned(tgz, o.Dest, want[pkg]); err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
		for _, f := range want[pkg] {
			o.logf("installed %s", filepath.Join(o.Dest, f.Name))
		}
	}
	return nil
}

// splitPackage splits "name@version" (name may be @scope/name).
func splitPackage(pkg string) (name, version string, err error) {
	i := strings.LastIndex(pkg, "@")
	if i <= 0 {
		return "", "", fmt.Errorf("bad package spec %q", pkg)
	}
	return pkg[:i], pkg[i+1:], nil
}

// fetchPackage puts pkg's tarball into dir and returns its path.
func (o *Options) fetchPackage(ctx context.Context, pkg, dir string) (string, error) {
	name, version, err := splitPackage(pkg)
	if err != nil {
		return "", err
	}
	if o.NPMRegistry != "" {
		base := name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			base = name[i+1:]
		}
		u := strings.TrimRight(o.NPMRegistry, "/") + "/" + name + "/-/" + base + "-" + version + ".tgz"
		dest := filepath.Join(dir, base+"-"+version+".tgz")
		o.logf("fetching %s", pkg)
		return dest, o.get(ctx, u, dest)
	}
	npm := o.NPM
	if npm == "" {
		npm = "npm"
	}
	if _, err := exec.LookPath(npm); err != nil {
		return "", ErrNoNPM
	}
	o.logf("fetching %s with npm pack", pkg)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", pkg)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack: %w: %s", err, strings.TrimSpace(lastLine(stderr.String())))
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return "", errors.New("npm pack printed no file name")
	}
	return filepath.Join(dir, filepath.Base(lines[len(lines)-1])), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// get downloads u into dest.
func (o *Options) get(ctx context.Context, u, dest string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "llsum")
	hc := o.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	shown := redact(u)
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d %s", shown, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if o.Start != nil {
		o.Start(resp.ContentLength)
	}
	f, err := os.Create(dest)
	if err != nil {
		return err
	}
	var r io.Reader = resp.Body
	if o.Progress != nil {
		r = io.TeeReader(r, progressWriter(o.Progress))
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", shown, err)
	}
	return f.Close()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(bad URL)"
	}
	p.User, p.RawQuery = nil, ""
	return p.String()
}

type progressWriter func(int64)

func (p progressWriter) Write(b []byte) (int, error) {
	p(int64(len(b)))
	return len(b), nil
}

// extractPinned installs the wanted files of a package tarball, each
// verified against its pinned size and sum.
func extractPinned(tgz, dest string, want []File) error {
	byPath := map[string]File{}
	for _, f := range want {
		byPath[f.Path] = f
	}
	found := map[string]bool{}
	err := walkTarGz(tgz, func(h *tar.Header, r io.Reader) error {
		f, ok := byPath[h.Name]
		if !ok || h.Typeflag != tar.TypeReg {
			return nil
		}
		found[h.Name] = true
		return installVerified(r, filepath.Join(dest, f.Name), f)
	})
	if err != nil {
		return err
	}
	for _, f := range want {
		if !found[f.Path] {
			return fmt.Errorf("%s is not in the package", f.Path)
		}
	}
	return nil
}

// installVerified writes r to target via target.part, checking size and
// sum before the rename.
func installVerified(r io.Reader, target string, f File) error {
	part := target + ".part"
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		os.Remove(part)
		return fmt.Errorf("%s (size %d, sha256 %s; want %d, %s) %w", f.Path, n, got, f.Size, f.SHA256, ErrChecksum)
	}
	if err := os.Chmod(part, 0o755); err != nil {
		return err
	}
	if err := os.Rename(part, target); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(target))
}

// walkTarGz calls fn for each entry of a .tgz.
func walkTarGz(tgz string, fn func(*tar.Header, io.Reader) error) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(tgz), err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(tgz), err)
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}

func installRelease(ctx context.Context, o *Options) error {
	u := o.ReleaseURL
	if u == "" {
		var err error
		if u, err = ReleaseURL(o.GPU); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "llsum-setup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tgz := filepath.Join(tmp, "ort.tgz")
	o.logf("downloading %s", redact(u))
	if err := o.get(ctx, u, tgz); err != nil {
		return err
	}
	sum, size, err := fileSHA256(tgz)
	if err != nil {
		return err
	}
	if o.ReleaseSHA256 != "" {
		if !strings.EqualFold(sum, o.ReleaseSHA256) {
			return fmt.Errorf("release tarball %s: sha256 %s, want %s: %w", redact(u), sum, o.ReleaseSHA256, ErrChecksum)
		}
	} else {
		o.logf("release tarball not verified (no --sha256): size %d, sha256 %s; compare with the release page", size, sum)
	}
	// Install lib/* (files and the symlinks between them).
	installed := 0
	err = walkTarGz(tgz, func(h *tar.Header, r io.Reader) error {
		dir, base := path.Split(h.Name)
		if path.Base(strings.TrimSuffix(dir, "/")) != "lib" || base == "" || strings.Contains(base, "..") {
			return nil
		}
		target := filepath.Join(o.Dest, base)
		switch h.Typeflag {
		case tar.TypeReg:
			installed++
			part := target + ".part"
			out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, r); err != nil {
				out.Close()
				os.Remove(part)
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			return os.Rename(part, target)
		case tar.TypeSymlink:
			if strings.Contains(h.Linkname, "/") {
				return nil
			}
			_ = os.Remove(target)
			return os.Symlink(h.Linkname, target)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if installed == 0 {
		return fmt.Errorf("release tarball %s has no lib/ files", redact(u))
	}
	if _, err := os.Stat(filepath.Join(o.Dest, LibName)); err != nil {
		return fmt.Errorf("release tarball %s has no lib/%s", redact(u), LibName)
	}
	o.logf("installed %s", o.Dest)
	return nil
}

func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
