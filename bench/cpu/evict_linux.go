package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// runEvict drops the files' clean pages from the page cache
// (POSIX_FADV_DONTNEED). A file written moments before (the model the
// benchmark has just generated, a download) sits in the page cache in
// large folios, and a mapped page of such a folio brings the whole folio
// into the process's resident set: ONNX Runtime maps the external data,
// and each embedding row a prompt touches then counted 2 MB (256 scattered
// rows: 520 MB of RssFile against 3-18 MB read back from disk), so peak
// RSS depended on how recently the file had been written. Evicting both
// engines' files before each measurement makes every run start cold, as
// after a reboot.
func runEvict(files []string) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			return fmt.Errorf("evict %s: %w", name, err)
		}
	}
	return nil
}
