package pipeline

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llsum/llsum/internal/atomicfile"
)

// tempSweeper removes the temporary files of atomic writes that a killed
// run (kill -9, a power cut) left in the output folder. It works folder
// by folder, once per folder per run, and only where the run looks anyway:
// the root and the state folder at the start, each output folder when the
// run first lists or writes in it (listings.listDir), and the folders of
// deleted documents (runner.deleted). A run therefore never walks the
// whole output tree (at a million outputs that walk was about two million
// directory entries before the first document); a temporary file in a
// folder no input and no recorded output reaches stays until one does.
//
// Stale means modified before cutoff: the run's start under the exclusive
// lock (no other writer exists), a day before it while other shards may be
// writing (a fresh one may be a shard's write in progress). Symbolic links
// are not followed.
type tempSweeper struct {
	cutoff  time.Time
	removed atomic.Int64

	mu   sync.Mutex
	done map[string]bool
}

// newTempSweeper returns a sweeper for a run that starts now; shard runs
// spare temporary files younger than a day.
func newTempSweeper(shard bool) *tempSweeper {
	cutoff := time.Now()
	if shard {
		cutoff = cutoff.Add(-24 * time.Hour)
	}
	return &tempSweeper{cutoff: cutoff, done: map[string]bool{}}
}

// claim reports whether dir is yet to be swept in this run, and marks it
// swept. dir is cleaned, so "a/b/" and "a/b" are one folder.
func (s *tempSweeper) claim(dir string) bool {
	dir = filepath.Clean(dir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done[dir] {
		return false
	}
	s.done[dir] = true
	return true
}

// removeStale removes dir/name when it is a stale temporary file and
// reports whether it did.
func (s *tempSweeper) removeStale(dir, name string) bool {
	if !atomicfile.IsTemp(name) {
		return false
	}
	p := filepath.Join(dir, name)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(s.cutoff) {
		return false
	}
	if os.Remove(p) != nil {
		return false
	}
	s.removed.Add(1)
	return true
}

// sweepDir sweeps dir (not its subfolders) unless this run already did.
func (s *tempSweeper) sweepDir(dir string) {
	if !s.claim(dir) {
		return
	}
	names, err := readNames(dir)
	if err != nil {
		return
	}
	for _, n := range names {
		s.removeStale(dir, n)
	}
}

// readNames lists dir's names.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
