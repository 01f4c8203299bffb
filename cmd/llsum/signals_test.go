package main

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestInterruptSteps sends real SIGINTs to this process: the first ends
// the command context (stop taking work) without aborting, the second
// closes the abort channel.
func TestInterruptSteps(t *testing.T) {
	ctx, stop := notifySignals(context.Background())
	defer stop()
	abort := abortFrom(ctx)
	if abort == nil {
		t.Fatal("no abort channel in the context")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("first SIGINT did not end the context")
	}
	select {
	case <-abort:
		t.Fatal("first SIGINT aborted the documents in flight")
	case <-time.After(100 * time.Millisecond):
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-abort:
	case <-time.After(5 * time.Second):
		t.Fatal("second SIGINT did not abort")
	}
}

func TestAbortFromPlainContext(t *testing.T) {
	if abortFrom(context.Background()) != nil {
		t.Fatal("a plain context has an abort channel")
	}
}
