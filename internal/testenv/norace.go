//go:build !race

package testenv

// RaceEnabled reports whether this binary runs with the race detector.
const RaceEnabled = false
