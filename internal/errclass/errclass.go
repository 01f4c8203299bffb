// Package errclass classifies errors the way the pipeline's policy needs
// them, in the spirit of rclone's fs/fserrors: an error is either
//
//   - per-document: this one document failed (bad PDF, empty file, a model
//     answer that could not be used); the run goes on with the others;
//   - retryable: a transient failure (HTTP 429/5xx, connection reset) that
//     may succeed when tried again after a pause;
//   - fatal: nothing else can succeed either (the output folder cannot be
//     written, the model cannot be loaded); the run stops.
//
// Errors that carry no class are per-document: a failure the code did not
// anticipate is pinned to the document that caused it rather than taking the
// whole run down.
//
// Classes travel with wrapping: errclass.Kind(fmt.Errorf("x: %w", err))
// reports the class of err.
package errclass

import (
	"errors"
	"time"
)

// Class is the pipeline-relevant kind of an error.
type Class int

const (
	// Document marks a failure confined to one document.
	Document Class = iota
	// Retryable marks a transient failure worth another try.
	Retryable
	// Fatal marks a failure that stops the run.
	Fatal
	// Skip marks a document that is deliberately not summarized (for
	// example a scanned PDF with no text layer): reported as skipped, not
	// failed.
	Skip
)

func (c Class) String() string {
	switch c {
	case Retryable:
		return "retryable"
	case Fatal:
		return "fatal"
	case Skip:
		return "skip"
	default:
		return "document"
	}
}

type classified struct {
	err        error
	class      Class
	retryAfter time.Duration
}

func (e *classified) Error() string { return e.err.Error() }
func (e *classified) Unwrap() error { return e.err }

// Wrap returns err marked with class c (nil stays nil).
func Wrap(err error, c Class) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: c}
}

// Fatalf-style helpers.

// AsFatal marks err as fatal to the run.
func AsFatal(err error) error { return Wrap(err, Fatal) }

// AsRetryable marks err as transient; after, when positive, is the delay the
// peer asked for (HTTP Retry-After).
func AsRetryable(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, class: Retryable, retryAfter: after}
}

// AsSkip marks err as a reason to skip the document rather than fail it.
func AsSkip(err error) error { return Wrap(err, Skip) }

// Kind reports the class of err: the outermost class found in its chain, or
// Document when none is.
func Kind(err error) Class {
	var c *classified
	if errors.As(err, &c) {
		return c.class
	}
	return Document
}

// IsFatal reports whether err stops the run.
func IsFatal(err error) bool { return err != nil && Kind(err) == Fatal }

// IsRetryable reports whether err is worth another try.
func IsRetryable(err error) bool { return err != nil && Kind(err) == Retryable }

// RetryAfter returns the delay a retryable error asked for, or 0.
func RetryAfter(err error) time.Duration {
	var c *classified
	if errors.As(err, &c) {
		return c.retryAfter
	}
	return 0
}
