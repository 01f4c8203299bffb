package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/llsum/llsum/internal/atomicfile"
)

// sweepTemps removes the temporary files of atomic writes that a killed
// run (kill -9, a power cut) left in the output folder, the state folder
// included: those older than minAge (0: all, when the run holds the
// folder's exclusive lock; shards running together leave each other's
// fresh ones alone). Symbolic links are not followed. It returns how many
// it removed.
func sweepTemps(out string, minAge time.Duration) int {
	n := 0
	cutoff := time.Now().Add(-minAge)
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !atomicfile.IsTemp(d.Name()) {
			return nil
		}
		if minAge > 0 {
			fi, err := d.Info()
			if err != nil || fi.ModTime().After(cutoff) {
				return nil
			}
		}
		if os.Remove(p) == nil {
			n++
		}
		return nil
	})
	return n
}
