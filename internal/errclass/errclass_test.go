package errclass

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestKind(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name  string
		err   error
		want  Class
		after time.Duration
	}{
		{"plain", base, Document, 0},
		{"fatal", AsFatal(base), Fatal, 0},
		{"wrapped fatal", fmt.Errorf("out: %w", AsFatal(base)), Fatal, 0},
		{"retryable", AsRetryable(base, 2*time.Second), Retryable, 2 * time.Second},
		{"skip", fmt.Errorf("x: %w", AsSkip(base)), Skip, 0},
		{"outermost wins", AsFatal(AsRetryable(base, time.Second)), Fatal, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Kind(tt.err); got != tt.want {
				t.Fatalf("Kind = %v, want %v", got, tt.want)
			}
			if got := RetryAfter(tt.err); got != tt.after {
				t.Fatalf("RetryAfter = %v, want %v", got, tt.after)
			}
			if !errors.Is(tt.err, base) {
				t.Fatal("class hides the cause from errors.Is")
			}
		})
	}
	if Wrap(nil, Fatal) != nil || AsRetryable(nil, 0) != nil {
		t.Fatal("nil must stay nil")
	}
	if IsFatal(nil) || IsRetryable(nil) {
		t.Fatal("nil has no class")
	}
}
