// Package dirlock keeps two llsum runs from writing the same output folder
// at once. A lock is a file holding the holder's PID, locked with flock(2):
// the kernel releases the lock when the holder exits, however it exits, so
// a lock left behind by a crashed run (a dead PID) is simply taken over.
package dirlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Mode is how a lock is held.
type Mode int

const (
	// Exclusive: no other holder at all.
	Exclusive Mode = iota
	// Shared: other shared holders are fine, an exclusive one is not.
	Shared
)

// BusyError says who holds a lock.
type BusyError struct {
	Path string
	// PIDs of the holders, when they could be read.
	PIDs []int
}

func (e *BusyError) Error() string {
	who := "another llsum run"
	if len(e.PIDs) == 1 {
		who = fmt.Sprintf("another llsum run (pid %d)", e.PIDs[0])
	} else if len(e.PIDs) > 1 {
		var s []string
		for _, p := range e.PIDs {
			s = append(s, strconv.Itoa(p))
		}
		who = fmt.Sprintf("other llsum runs (pids %s)", strings.Join(s, ", "))
	}
	return fmt.Sprintf("%s is locked by %s", e.Path, who)
}

// Lock is a held lock; Release lets it go.
type Lock struct {
	f *os.File
}

// PollInterval is how often a waiting Acquire retries.
const PollInterval = 200 * time.Millisecond

// Acquire locks path (creating it). When the lock is busy it returns a
// *BusyError at once, or, with wait, retries until it gets the lock or ctx
// ends. An exclusive holder writes its PID into the file; others names
// (peers) are read for the error message when the lock is busy.
func Acquire(ctx context.Context, path string, mode Mode, wait bool, peers ...string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_EX
	if mode == Shared {
		how = unix.LOCK_SH
	}
	for {
		err = flock(f, how|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			f.Close()
			return nil, &BusyError{Path: path, PIDs: holders(append([]string{path}, peers...))}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(PollInterval):
		}
	}
	if mode == Exclusive {
		// The PID is informative only: the flock is the lock.
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
	}
	return &Lock{f: f}, nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// holders reads the PIDs written in the lock files that exist.
func holders(paths []string) []int {
	var pids []int
	for _, p := range paths {
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				continue
			}
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && alive(m) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// alive reports whether the lock file at p is held by someone (a PID left
// in a released lock file is stale).
func alive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return true
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}

// Release lets the lock go. The file stays (removing it would race with a
// run that has just opened it).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}
