//go:build race

package trust

// raceEnabled: the race detector slows extraction about tenfold, so the
// corpus test leaves out its largest documents.
const raceEnabled = true
