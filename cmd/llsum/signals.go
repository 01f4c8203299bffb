package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/llsum/llsum/internal/sigguard"
)

// Interrupts (SIGINT, SIGTERM) come in three steps:
//
//  1. the first ends the command's context: `llsum run` stops taking new
//     documents and gives those in flight --grace to finish;
//  2. the second closes the abort channel (abortFrom): documents in flight
//     are abandoned at once, the index is written, exit 130;
//  3. after the second, Go's handling is reset, so a third kills the
//     process the default way.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

type abortKey struct{}

// notifySignals returns a context ended by the first interrupt, carrying
// the abort channel closed by the second; stop releases the signals.
func notifySignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	abort := make(chan struct{})
	ctx = context.WithValue(ctx, abortKey{}, (<-chan struct{})(abort))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, interruptSignals...)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-ch:
				n++
				switch n {
				case 1:
					cancel()
				case 2:
					close(abort)
					signal.Reset(interruptSignals...)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// abortFrom is the abort channel of a context made by notifySignals (nil,
// never closed, otherwise).
func abortFrom(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(abortKey{}).(<-chan struct{})
	return ch
}

// guardSignals wraps the loading of a backend: native libraries (the CUDA
// provider of ONNX Runtime) may install their own SIGINT/SIGTERM handlers
// when they load, and Go would no longer see the signals. The handlers in
// place before are put back after open returns (with -v, llsum says when it
// had to).
func guardSignals[T any](g *globalOptions, open func() (T, error)) (T, error) {
	guard := sigguard.Save()
	defer func() {
		if fixed := guard.Restore(); len(fixed) > 0 && g.Verbose {
			fmt.Fprintf(g.stderr, "llsum: debug: the backend replaced the handlers of %v; restored\n", fixed)
		}
	}()
	return open()
}
