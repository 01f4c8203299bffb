// Package atomicfile writes files so that readers (and crashes) only ever
// see the old content or the new one: the data goes to a temporary file in
// the same folder, is fsynced, and is renamed over the target; the folder is
// fsynced after the rename so the rename itself survives a power cut.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"regexp"
)

// tempName matches the temporary files Write makes ("." + the target's
// name + ".tmp-" + digits).
var tempName = regexp.MustCompile(`^\..+\.tmp-[0-9]+$`)

// IsTemp reports whether name is one of Write's temporary files: left
// behind only when the process was killed while writing.
func IsTemp(name string) bool {
	return len(name) > 0 && name[0] == '.' && tempName.MatchString(name)
}

// WriteFile atomically replaces path with data, creating parent folders.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some file systems refuse to sync a folder; the rename is done anyway.
	_ = d.Sync()
	return nil
}

// SyncDir fsyncs a folder so that a rename inside it survives a power cut
// (folders that cannot be synced are ignored).
func SyncDir(dir string) error { return syncDir(dir) }
