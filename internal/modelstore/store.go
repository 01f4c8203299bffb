package modelstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/llsum/llsum/internal/atomicfile"
	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/hub"
)

// ManifestName is the file a pull writes into the model folder last.
const ManifestName = ".llsum-model.json"

const lockName = ".llsum-pull.lock"

// Store is the models folder ($LLSUM_CACHE/models).
type Store struct {
	Dir string
}

// Path is the folder of a ref.
func (s Store) Path(r Ref) string {
	return filepath.Join(s.Dir, filepath.FromSlash(r.dirName()))
}

// Manifest records what a pull fetched.
type Manifest struct {
	Name     string         `json:"name"`
	Repo     string         `json:"repo"`
	Revision string         `json:"revision"`
	Commit   string         `json:"commit,omitempty"`
	Part     string         `json:"part,omitempty"`
	Pulled   time.Time      `json:"pulled"`
	Files    []ManifestFile `json:"files"`
}

// ManifestFile is one fetched file.
type ManifestFile struct {
	Path   string `json:"path"` // relative to the model folder
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	GitOID string `json:"git_oid,omitempty"`
}

// Size is the total of the files' sizes.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// ReadManifest reads dir's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

// Selected is one file a pull fetches: the Hub entry and where it goes
// (relative to the model folder).
type Selected struct {
	Entry hub.Entry
	Local string
}

// Select picks the files of a listing that make up r's model folder.
func Select(r Ref, listing []hub.Entry) ([]Selected, error) {
	byPath := map[string]hub.Entry{}
	for _, e := range listing {
		byPath[e.Path] = e
	}
	var out []Selected
	if b := r.Builtin; b != nil {
		prefix := ""
		if b.Subfolder != "" {
			prefix = b.Subfolder + "/"
		}
		for _, f := range b.Files {
			e, ok := byPath[prefix+f]
			if !ok {
				if b.Optional[f] {
					continue
				}
				return nil, fmt.Errorf("%s: %s is not in %s: %w", r.Name, prefix+f, b.Repo, hub.ErrNotFound)
			}
			out = append(out, Selected{Entry: e, Local: f})
		}
		return out, nil
	}
	if r.Part != "" {
		prefix := r.Part + "/"
		for _, e := range listing {
			if rel, ok := strings.CutPrefix(e.Path, prefix); ok {
				out = append(out, Selected{Entry: e, Local: rel})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
		// Not a folder: a variant of the transformers.js layout
		// (onnx/model_VARIANT.onnx and its external data), with the
		// files at the repo's root.
		graph := "onnx/model_" + r.Part + ".onnx"
		for _, e := range listing {
			if !strings.Contains(e.Path, "/") && !skipFile(e.Path) || strings.HasPrefix(e.Path, graph) {
				out = append(out, Selected{Entry: e, Local: e.Path})
			}
		}
		if _, ok := byPath[graph]; !ok {
			return nil, fmt.Errorf("%s: %s has no folder or variant %q (%s): %w", r.Name, r.Repo, r.Part, alternatives(listing), hub.ErrNotFound)
		}
		return out, nil
	}
	if vs := variants(listing); len(vs) > 1 {
		return nil, fmt.Errorf("%s has %d model variants; pull one of them: %s:%s", r.Repo, len(vs), r.Repo, strings.Join(vs, ", "+r.Repo+":"))
	}
	for _, e := range listing {
		if !skipFile(e.Path) {
			out = append(out, Selected{Entry: e, Local: e.Path})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the repo has no files: %w", r.Repo, hub.ErrNotFound)
	}
	return out, nil
}

func skipFile(p string) bool { return path.Base(p) == ".gitattributes" }

// variants lists the X of onnx/model_X.onnx.
func variants(listing []hub.Entry) []string {
	var vs []string
	for _, e := range listing {
		if v, ok := strings.CutPrefix(e.Path, "onnx/model_"); ok {
			if v, ok := strings.CutSuffix(v, ".onnx"); ok {
				vs = append(vs, v)
			}
		}
		if e.Path == "onnx/model.onnx" {
			vs = append(vs, "onnx/model.onnx")
		}
	}
	sort.Strings(vs)
	return vs
}

// alternatives names the folders with an ONNX graph and the variants, for
// an error message.
func alternatives(listing []hub.Entry) string {
	dirs := map[string]bool{}
	for _, e := range listing {
		if strings.HasSuffix(e.Path, ".onnx") && strings.Contains(e.Path, "/") && !strings.HasPrefix(e.Path, "onnx/") {
			dirs[path.Dir(e.Path)] = true
		}
	}
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	var parts []string
	if len(ds) > 0 {
		parts = append(parts, "folders: "+strings.Join(ds, ", "))
	}
	if vs := variants(listing); len(vs) > 0 {
		parts = append(parts, "variants: "+strings.Join(vs, ", "))
	}
	if len(parts) == 0 {
		return "it has no ONNX graph"
	}
	return strings.Join(parts, "; ")
}

// PullOptions tune Pull.
type PullOptions struct {
	Revision string
	// Start is called once with the bytes to fetch and those already
	// present; the client's Progress then reports the rest.
	Start func(total, present int64)
	// File is called after each file.
	File func(local string, r hub.Result)
}

// Pull downloads r into the store with c, resuming what an earlier pull
// left, and returns the manifest it wrote. Files already present and
// recorded in the manifest with the same checksum are not fetched again.
func (s Store) Pull(ctx context.Context, c *hub.Client, r Ref, o PullOptions) (*Manifest, error) {
	rev := o.Revision
	if rev == "" {
		rev = "main"
	}
	listing, err := c.List(ctx, r.Repo, rev)
	if err != nil {
		return nil, err
	}
	sel, err := Select(r, listing)
	if err != nil {
		return nil, err
	}
	dir := s.Path(r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := dirlock.Acquire(ctx, filepath.Join(dir, lockName), dirlock.Exclusive, false)
	if err != nil {
		var busy *dirlock.BusyError
		if errors.As(err, &busy) {
			return nil, fmt.Errorf("pull %s: another llsum pull of it is running: %w", r.Name, err)
		}
		return nil, err
	}
	defer lock.Release()

	old, _ := ReadManifest(dir)
	m := &Manifest{Name: r.Name, Repo: r.Repo, Revision: rev, Part: r.Part}
	var total, present int64
	todo := make([]bool, len(sel))
	for i, f := range sel {
		mf := manifestFile(f)
		total += mf.Size
		if old != nil && old.has(mf) && sizeIs(filepath.Join(dir, filepath.FromSlash(f.Local)), mf.Size) {
			present += mf.Size
			m.Files = append(m.Files, mf)
			continue
		}
		todo[i] = true
	}
	if o.Start != nil {
		o.Start(total, present)
	}
	// The old manifest no longer describes the folder once files change.
	if err := os.Remove(filepath.Join(dir, ManifestName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for i, f := range sel {
		if !todo[i] {
			continue
		}
		dest := filepath.Join(dir, filepath.FromSlash(f.Local))
		res, err := c.Download(ctx, r.Repo, rev, f.Entry, dest)
		if err != nil {
			return nil, err
		}
		if res.Commit != "" {
			m.Commit = res.Commit
		}
		if o.File != nil {
			o.File(f.Local, res)
		}
		m.Files = append(m.Files, manifestFile(f))
	}
	if m.Commit == "" && old != nil {
		m.Commit = old.Commit
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	m.Pulled = time.Now().UTC().Truncate(time.Second)
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

func manifestFile(f Selected) ManifestFile {
	mf := ManifestFile{Path: f.Local, Size: f.Entry.Size, SHA256: f.Entry.SHA256()}
	if f.Entry.LFS != nil {
		mf.Size = f.Entry.LFS.Size
	} else {
		mf.GitOID = f.Entry.OID
	}
	return mf
}

func (m *Manifest) has(f ManifestFile) bool {
	for _, g := range m.Files {
		if g == f {
			return true
		}
	}
	return false
}

func sizeIs(p string, n int64) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() == n
}

// Model is one folder of the store, for listings.
type Model struct {
	Name string
	Dir  string
	// Size on disk of the folder's files (partial downloads included).
	Size int64
	// Manifest is nil for folders not made by llsum pull (e.g. copied in
	// or fetched by the old script).
	Manifest *Manifest
	// Incomplete: a pull was interrupted (.part files, no manifest).
	Incomplete bool
}

// List returns the models in the store, by name.
func (s Store) List() ([]Model, error) {
	top, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, d := range top {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(s.Dir, d.Name())
		if isModelDir(dir) {
			out = append(out, describe(d.Name(), dir))
			continue
		}
		// ORG/REPO[--PART]
		sub, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range sub {
			if e.IsDir() && isModelDir(filepath.Join(dir, e.Name())) {
				out = append(out, describe(d.Name()+"/"+e.Name(), filepath.Join(dir, e.Name())))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// isModelDir: a pull's folder (manifest, lock or partial files) or a model
// folder put there by hand.
func isModelDir(dir string) bool {
	for _, f := range []string{ManifestName, lockName, "genai_config.json", "config.json", "model.onnx"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

func describe(key, dir string) Model {
	m := Model{Name: key, Dir: dir}
	if man, err := ReadManifest(dir); err == nil {
		m.Manifest = man
		m.Name = man.Name
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if strings.HasSuffix(p, ".part") {
			m.Incomplete = true
		}
		if info, err := d.Info(); err == nil {
			m.Size += info.Size()
		}
		return nil
	})
	if m.Manifest == nil {
		if _, err := os.Stat(filepath.Join(dir, lockName)); err == nil {
			m.Incomplete = true
		}
	}
	return m
}

// Resolve turns a --model value into a folder: an existing path is used as
// is; otherwise a name pulled into the store (a short name or
// ORG/REPO[:PART]) gives its folder. ok is false when v is neither (the
// caller reports v as a missing folder).
func (s Store) Resolve(v string) (dir string, ok bool) {
	if v == "" {
		return "", false
	}
	if _, err := os.Stat(v); err == nil {
		return v, true
	}
	r, err := ParseRef(v)
	if err != nil {
		return v, false
	}
	p := s.Path(r)
	if _, err := os.Stat(p); err != nil {
		return v, false
	}
	return p, true
}
