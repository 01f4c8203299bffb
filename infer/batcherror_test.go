package infer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/llsum/llsum/internal/errclass"
)

func TestBatchError(t *testing.T) {
	tests := []struct {
		name       string
		errs       []error
		wantFailed int
		wantMsg    string
		wantIs     []error
		wantClass  errclass.Class
	}{
		{
			name:       "one of three",
			errs:       []error{nil, fmt.Errorf("doc: %w", io.ErrUnexpectedEOF), nil},
			wantFailed: 1,
			wantMsg:    "1 of 3 requests failed; first (request 1): doc: unexpected EOF",
			wantIs:     []error{io.ErrUnexpectedEOF},
			wantClass:  errclass.Document,
		},
		{
			name:       "mixed causes all visible",
			errs:       []error{context.Canceled, nil, errclass.AsFatal(io.EOF)},
			wantFailed: 2,
			wantMsg:    "2 of 3 requests failed; first (request 0): context canceled",
			wantIs:     []error{context.Canceled, io.EOF},
			wantClass:  errclass.Fatal, // the first classified error in the chain
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = &BatchError{Errs: tt.errs}
			err = fmt.Errorf("chat: %w", err)
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatal("errors.As lost the BatchError")
			}
			if be.Failed() != tt.wantFailed {
				t.Errorf("Failed = %d, want %d", be.Failed(), tt.wantFailed)
			}
			if be.Error() != tt.wantMsg {
				t.Errorf("Error = %q, want %q", be.Error(), tt.wantMsg)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v) = false", target)
				}
			}
			if k := errclass.Kind(err); k != tt.wantClass {
				t.Errorf("Kind = %v, want %v", k, tt.wantClass)
			}
		})
	}
}
