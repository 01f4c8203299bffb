// Package sigguard keeps Go's handling of SIGINT and SIGTERM alive across
// the loading of native libraries. Some (the CUDA execution provider of
// ONNX Runtime among them) install their own handlers for these signals
// with sigaction(2) when they initialize, replacing the Go runtime's
// handler: Ctrl-C then no longer reaches os/signal and a run cannot stop
// cleanly. Save the handlers before loading such a library and Restore them
// after: whatever the library installed is replaced by what was there.
package sigguard

import "syscall"

// Signals are the signals guarded.
var Signals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}

// Guard holds the saved handlers.
type Guard struct {
	saved []saved
}

type saved struct {
	sig syscall.Signal
	act sigaction
}

// Save records the current handlers of Signals.
func Save() *Guard {
	g := &Guard{}
	for _, s := range Signals {
		if act, err := getAction(s); err == nil {
			g.saved = append(g.saved, saved{sig: s, act: act})
		}
	}
	return g
}

// Restore puts back every saved handler that was changed since Save and
// returns the signals it had to restore.
func (g *Guard) Restore() []syscall.Signal {
	var fixed []syscall.Signal
	for _, s := range g.saved {
		cur, err := getAction(s.sig)
		if err != nil || cur == s.act {
			continue
		}
		if setAction(s.sig, s.act) == nil {
			fixed = append(fixed, s.sig)
		}
	}
	return fixed
}
