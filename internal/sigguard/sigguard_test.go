//go:build linux && (amd64 || arm64)

package sigguard

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestRestoreAfterForeignHandler replaces Go's SIGINT handler the way a
// native library does (sigaction with another disposition), checks that
// Go no longer sees the signal, restores, and checks that it does again.
func TestRestoreAfterForeignHandler(t *testing.T) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT)
	defer signal.Stop(ch)

	g := Save()
	if len(g.saved) != len(Signals) {
		t.Fatalf("saved %d handlers, want %d", len(g.saved), len(Signals))
	}
	// A foreign library takes SIGINT over (here: ignores it).
	if err := setAction(syscall.SIGINT, sigaction{handler: 1 /* SIG_IGN */}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Fatal("signal delivered while the foreign handler was installed: the test proves nothing")
	case <-time.After(200 * time.Millisecond):
	}

	fixed := g.Restore()
	if len(fixed) != 1 || fixed[0] != syscall.SIGINT {
		t.Fatalf("Restore fixed %v, want [SIGINT]", fixed)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT not delivered to Go after Restore")
	}
	if again := g.Restore(); len(again) != 0 {
		t.Fatalf("second Restore changed %v, want nothing", again)
	}
}
