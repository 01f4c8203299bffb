package infer

import (
	"fmt"
	"strings"
)

// BatchError reports which requests of a batched call failed when others
// succeeded, so that one bad document does not fail its whole batch.
//
// A backend returns it (possibly wrapped in an errclass class) from
// ChatModel.Chat: Errs is index-aligned with the requests, nil where the
// request succeeded, and the results of the successful requests are valid.
// Callers get at it with errors.As; errors.Is and errors.As also see every
// per-request error through Unwrap.
type BatchError struct {
	Errs []error
}

// Failed returns the number of failed requests.
func (e *BatchError) Failed() int {
	n := 0
	for _, err := range e.Errs {
		if err != nil {
			n++
		}
	}
	return n
}

// Error summarizes: how many failed, and the first failure.
func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d requests failed", e.Failed(), len(e.Errs))
	for i, err := range e.Errs {
		if err != nil {
			fmt.Fprintf(&b, "; first (request %d): %v", i, err)
			break
		}
	}
	return b.String()
}

// Unwrap returns the per-request errors that are not nil.
func (e *BatchError) Unwrap() []error {
	var errs []error
	for _, err := range e.Errs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
