package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/llsum/llsum/extract"
)

// source is one document found by the walk.
type source struct {
	// Path is the file's path as reached (root joined with the relative path).
	Path string
	// Rel is the slash-separated path relative to its input root; for a file
	// given directly it is the file's base name.
	Rel string
}

// walker streams the documents under the input roots in a deterministic
// order (roots as given, then lexical order inside each folder).
type walker struct {
	include, exclude []string
	// skipDirs are folders never entered (the output folder).
	skipDirs []os.FileInfo
	// onError is told about unreadable folders and missing roots.
	onError func(path string, err error)
}

// errMissingRoot marks an input path that does not exist.
var errMissingRoot = errors.New("no such file or folder")

// validatePatterns checks glob syntax up front, a usage error otherwise.
func validatePatterns(patterns []string) error {
	for _, p := range patterns {
		if !doublestar.ValidatePattern(p) {
			return fmt.Errorf("invalid glob pattern %q", p)
		}
	}
	return nil
}

// matches reports whether rel (slash-separated) matches any pattern. A
// pattern without a slash is matched against the base name, one with a
// slash against the whole relative path; `**` spans folders.
func matches(patterns []string, rel string) bool {
	base := path.Base(rel)
	for _, p := range patterns {
		target := rel
		if !strings.Contains(p, "/") {
			target = base
		}
		if ok, _ := doublestar.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}

// walk sends every document under roots to out, stopping when ctx ends. It
// reports missing roots and unreadable folders through onError and goes on.
func (w *walker) walk(ctx context.Context, roots []string, out chan<- source) {
	for _, root := range roots {
		if ctx.Err() != nil {
			return
		}
		fi, err := os.Stat(root)
		if err != nil {
			if _, lerr := os.Lstat(root); lerr == nil {
				// A dangling symlink given by name: let extraction say why.
				w.emit(ctx, out, source{Path: root, Rel: filepath.Base(root)}, true)
				continue
			}
			if errors.Is(err, fs.ErrNotExist) {
				err = errMissingRoot
			}
			w.onError(root, err)
			continue
		}
		if !fi.IsDir() {
			w.emit(ctx, out, source{Path: root, Rel: filepath.Base(root)}, true)
			continue
		}
		w.walkDir(ctx, root, "", []os.FileInfo{fi}, out)
	}
}

// emit sends src when it passes the filters; explicit files given on the
// command line pass the extension check but still honour --exclude.
func (w *walker) emit(ctx context.Context, out chan<- source, src source, explicit bool) {
	if !explicit && !extract.Supported(src.Path) {
		return
	}
	if len(w.include) > 0 && !explicit && !matches(w.include, src.Rel) {
		return
	}
	if matches(w.exclude, src.Rel) {
		return
	}
	select {
	case out <- src:
	case <-ctx.Done():
	}
}

func (w *walker) walkDir(ctx context.Context, dir, rel string, ancestors []os.FileInfo, out chan<- source) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.onError(dir, fmt.Errorf("read folder: %w", err))
		// ReadDir returns what it could read before the error.
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden files and folders
		}
		p := filepath.Join(dir, name)
		r := name
		if rel != "" {
			r = rel + "/" + name
		}
		typ := e.Type()
		var fi os.FileInfo
		if typ&fs.ModeSymlink != 0 {
			fi, err = os.Stat(p)
			if err != nil {
				// Dangling or unreadable link: a document that will fail
				// with a clear cause, if it looks like one.
				w.emit(ctx, out, source{Path: p, Rel: r}, false)
				continue
			}
			typ = fi.Mode().Type()
		}
		if typ.IsDir() {
			if fi == nil {
				if fi, err = e.Info(); err != nil {
					w.onError(p, err)
					continue
				}
			}
			if w.skip(fi, ancestors) || matches(w.exclude, r) {
				continue
			}
			w.walkDir(ctx, p, r, append(ancestors, fi), out)
			continue
		}
		w.emit(ctx, out, source{Path: p, Rel: r}, false)
	}
}

// skip reports whether a folder is the output folder or one of its own
// ancestors (a symlink loop).
func (w *walker) skip(fi os.FileInfo, ancestors []os.FileInfo) bool {
	for _, a := range ancestors {
		if os.SameFile(a, fi) {
			return true
		}
	}
	for _, s := range w.skipDirs {
		if os.SameFile(s, fi) {
			return true
		}
	}
	return false
}
