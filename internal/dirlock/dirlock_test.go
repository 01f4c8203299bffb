package dirlock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAcquire(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "lock")
	ctx := context.Background()

	tests := []struct {
		name  string
		first Mode
		then  Mode
		busy  bool
	}{
		{"exclusive then exclusive", Exclusive, Exclusive, true},
		{"exclusive then shared", Exclusive, Shared, true},
		{"shared then exclusive", Shared, Exclusive, true},
		{"shared then shared", Shared, Shared, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Acquire(ctx, main, tc.first, false)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Release()
			b, err := Acquire(ctx, main, tc.then, false)
			var be *BusyError
			if tc.busy != errors.As(err, &be) {
				t.Fatalf("second Acquire: err %v, want busy=%v", err, tc.busy)
			}
			if err == nil {
				b.Release()
			}
			if tc.busy && tc.first == Exclusive {
				if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
					t.Errorf("error %q does not name the holder's PID", err)
				}
			}
		})
	}
}

func TestStalePIDTakenOver(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	// A lock file left by a run that died: a PID, no flock.
	if err := os.WriteFile(p, []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(context.Background(), p, Exclusive, false)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	defer l.Release()
	b, _ := os.ReadFile(p)
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want our PID", b)
	}
}

func TestWait(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	a, err := Acquire(context.Background(), p, Exclusive, false)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(3 * PollInterval)
		a.Release()
	}()
	b, err := Acquire(context.Background(), p, Exclusive, true)
	if err != nil {
		t.Fatalf("waiting Acquire: %v", err)
	}
	b.Release()

	c, _ := Acquire(context.Background(), p, Exclusive, false)
	defer c.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 2*PollInterval)
	defer cancel()
	if _, err := Acquire(ctx, p, Exclusive, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting Acquire past its context: %v, want deadline exceeded", err)
	}
}

func TestPeersNamed(t *testing.T) {
	dir := t.TempDir()
	shard, err := Acquire(context.Background(), filepath.Join(dir, "lock-0-of-2"), Exclusive, false)
	if err != nil {
		t.Fatal(err)
	}
	defer shard.Release()
	sh, err := Acquire(context.Background(), filepath.Join(dir, "lock"), Shared, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Release()
	_, err = Acquire(context.Background(), filepath.Join(dir, "lock"), Exclusive, false, filepath.Join(dir, "lock-*-of-*"))
	if err == nil || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("got %v, want a busy error naming the shard's PID", err)
	}
}
