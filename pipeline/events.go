package pipeline

import "time"

// EventKind says what happened.
type EventKind int

// Events, in the order a run produces them.
const (
	// EventFound: the walk found a document (Found counts them so far).
	EventFound EventKind = iota
	// EventWalkDone: the walk is over; Found is the total.
	EventWalkDone
	// EventStart: a worker took a document.
	EventStart
	// EventDone: a document ended; Doc says how.
	EventDone
	// EventInputError: an input path or folder could not be read.
	EventInputError
	// EventDebug: detail for debugging (a recovered panic's stack).
	EventDebug
	// EventFinish: the run is over; Report is set.
	EventFinish
	// EventWarning: a problem that does not stop the run (Err).
	EventWarning
	// EventInterrupt: the run was told to stop; documents in flight may
	// finish within Grace.
	EventInterrupt
	// EventDeleted: the input of an earlier summary is gone; Doc says
	// which (Doc.Reason says whether it was pruned).
	EventDeleted
)

// Event is one progress event. Events are delivered from several
// goroutines; an Observer must be safe for concurrent use.
type Event struct {
	Kind    EventKind
	Path    string
	Found   int
	Doc     *DocResult
	Err     error
	Message string
	Report  *Report
	Grace   time.Duration
}

// Observer receives progress events.
type Observer interface {
	Event(Event)
}

type nopObserver struct{}

func (nopObserver) Event(Event) {}
