package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/llsum/llsum/internal/statedb"
	"github.com/llsum/llsum/internal/textutil"
)

// reuse settles a document without summarizing it when it can: it is
// unchanged since its summary in this output folder (status skipped,
// reason unchanged), or its content was summarized under another name (a
// renamed, moved or copied file: the summary is rewritten under the new
// name, status ok). It returns done=false when the document needs a
// summary. res.SHA256 is set.
func (r *runner) reuse(ctx context.Context, j job, res *DocResult, prev *statedb.Doc) (done bool, err error) {
	want := r.wantOutputs(j.out)
	if prev != nil && prev.Summary.SHA256 == res.SHA256 && prev.Summary.Model == r.modelID &&
		prev.Summary.Params == r.paramsKey && (prev.Source == j.src.Rel || prev.Source == asJSON(j.src.Rel)) && r.present(want) {
		r.skipUnchanged(res, want, prev.Summary.Done)
		return true, nil
	}
	// No (matching) state: the JSON output records what made it.
	if dj := r.readJSON(j.out); dj != nil && dj.Source == asJSON(j.src.Rel) && r.current(dj, res.SHA256) && r.present(want) {
		r.skipUnchanged(res, want, dj.Created)
		return true, nil
	}
	rec, err := r.st.LookupContent(ctx, res.SHA256, r.modelID, r.paramsKey)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err() // abandoned
		}
		r.warn(fmt.Errorf("%s: %w", j.src.Path, err))
		return false, nil
	}
	if rec == nil || rec.Out == j.out {
		return false, nil
	}
	dj := r.readJSON(rec.Out)
	if dj != nil && r.current(dj, res.SHA256) {
		dj.Source = j.src.Rel
		dj.Created = time.Now().UTC().Truncate(time.Second)
		if res.Outputs, err = r.write(j.out, dj); err != nil {
			return false, err
		}
	} else if !r.cfg.JSON {
		// Markdown only: rewrite the old Markdown's header for the new name.
		if res.Outputs, err = r.reuseMarkdown(rec, j); err != nil || res.Outputs == nil {
			return false, err
		}
	} else {
		return false, nil
	}
	res.Status, res.Reason = StatusOK, ReasonReused+" from "+rec.Path
	res.sum = r.summaryOf(res, time.Time{})
	return true, nil
}

func (r *runner) skipUnchanged(res *DocResult, want []string, done time.Time) {
	res.Status, res.Reason, res.Outputs = StatusSkipped, ReasonUnchanged, want
	res.sum = r.summaryOf(res, done)
}

// asJSON is s as it reads back from JSON: invalid UTF-8 (file names may
// hold any bytes) comes back as U+FFFD.
func asJSON(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// wantOutputs are the output files this run writes for out.
func (r *runner) wantOutputs(out string) []string {
	var w []string
	if r.cfg.JSON {
		w = append(w, out+".json")
	}
	if r.cfg.Markdown {
		w = append(w, out+".md")
	}
	return w
}

// present reports whether every output exists.
func (r *runner) present(outs []string) bool {
	for _, o := range outs {
		if !r.listings.has(filepath.Join(r.cfg.OutDir, filepath.FromSlash(o))) {
			return false
		}
	}
	return true
}

// listings answers whether files exist from listings of their folders:
// one ReadDir per output folder instead of a stat per output, which was a
// third of an incremental run's time. Documents come in walk order, so the
// few folders listed last serve nearly every question; a folder too big
// to keep listed is asked with stat. A listing is taken when first needed
// and kept for the run: outputs are only asked about before their own
// document writes them, and names are distinct, so what this run writes
// does not make a listing wrong.
type listings struct {
	// sweeper removes the stale temporary files of each folder as it is
	// first listed (sweep.go).
	sweeper *tempSweeper

	mu   sync.Mutex
	dirs map[string]map[string]struct{}
	lru  []string
}

const (
	listingsKept   = 8
	listingMaxSize = 20000
)

func (l *listings) has(p string) bool {
	dir, name := filepath.Split(p)
	l.mu.Lock()
	names, ok := l.dirs[dir]
	l.mu.Unlock()
	if !ok {
		names = l.listDir(dir)
		l.mu.Lock()
		if l.dirs == nil {
			l.dirs = map[string]map[string]struct{}{}
		}
		if _, dup := l.dirs[dir]; !dup {
			if len(l.lru) == listingsKept {
				delete(l.dirs, l.lru[0])
				l.lru = l.lru[1:]
			}
			l.dirs[dir] = names
			l.lru = append(l.lru, dir)
		}
		l.mu.Unlock()
	}
	if names == nil {
		_, err := os.Stat(p)
		return err == nil
	}
	_, ok = names[name]
	return ok
}

// sweep removes, once per run, the stale temporary files in dir (the
// listing does it as it goes).
func (l *listings) sweep(dir string) {
	l.sweeper.sweepDir(dir)
}

// listDir returns the names in dir, or nil when it cannot be listed or is
// too big to keep (then each file is asked with stat). The first listing
// of a folder in the run removes the stale temporary files it meets.
func (l *listings) listDir(dir string) map[string]struct{} {
	sweeping := l.sweeper.claim(dir) // a folder that cannot be opened has nothing to sweep
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	names := map[string]struct{}{}
	for {
		batch, err := f.Readdirnames(1024)
		for _, n := range batch {
			if sweeping && l.sweeper.removeStale(dir, n) {
				continue
			}
			if names != nil {
				names[n] = struct{}{}
			}
		}
		if len(names) > listingMaxSize {
			names = nil // too big to keep; the sweep goes on
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return names
			}
			return nil
		}
	}
}

// current reports whether a JSON output was made from this content with
// this model and these parameters.
func (r *runner) current(dj *DocumentJSON, sha string) bool {
	return dj.SHA256 == sha && modelIdentity(dj.Model) == r.modelID && dj.Parameters.Key() == r.paramsKey
}

// readJSON reads out's JSON output, or nil.
func (r *runner) readJSON(out string) *DocumentJSON {
	data, err := os.ReadFile(filepath.Join(r.cfg.OutDir, filepath.FromSlash(out+".json")))
	if err != nil {
		return nil
	}
	var dj DocumentJSON
	if json.Unmarshal(data, &dj) != nil || dj.SchemaVersion != SchemaVersion {
		return nil
	}
	return &dj
}

// reuseMarkdown copies rec's Markdown output to j's name, with the title
// (when it is the file name) and the Source line rewritten. It returns nil
// outputs when there is nothing to reuse.
func (r *runner) reuseMarkdown(rec *statedb.Doc, j job) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(r.cfg.OutDir, filepath.FromSlash(rec.Out+".md")))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reuse %s: %w", rec.Out+".md", err)
	}
	lines := strings.SplitN(string(data), "\n", 4)
	oldSrc := "Source: `" + rec.Source + "`"
	if len(lines) < 4 || !strings.HasPrefix(lines[2], oldSrc) {
		return nil, nil
	}
	if lines[0] == "# "+textutil.OneLine(path.Base(rec.Source)) {
		lines[0] = "# " + textutil.OneLine(path.Base(j.src.Rel))
	}
	lines[2] = "Source: `" + j.src.Rel + "`" + strings.TrimPrefix(lines[2], oldSrc)
	if err := r.writeFile(j.out+".md", []byte(strings.Join(lines, "\n"))); err != nil {
		return nil, err
	}
	return []string{j.out + ".md"}, nil
}
