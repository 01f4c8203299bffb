//go:build unix

package extract

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestKilledMemoryStaysMapped: memory freed while a kill is outstanding
// stays readable until the kill ends, and is unmapped then.
func TestKilledMemoryStaysMapped(t *testing.T) {
	a := &mmapAllocator{}
	quiet := a.Allocate(0, 1<<20).(*mmapMemory)
	quiet.Reallocate(4096)[0] = 1
	quiet.Free() // no kill outstanding: unmapped at once
	if len(a.pending) != 0 {
		t.Fatalf("pending = %d after a quiet free, want 0", len(a.pending))
	}

	m := a.Allocate(0, 1<<20).(*mmapMemory)
	buf := m.Reallocate(4096)
	buf[100] = 7
	a.beginKill()
	m.Free()
	if len(a.pending) != 1 {
		t.Fatalf("pending = %d during a kill, want 1", len(a.pending))
	}
	if buf[100] != 0 { // still mapped (a fault would end the test binary), pages dropped
		t.Fatalf("freed page reads %d, want 0", buf[100])
	}
	buf[200] = 1 // a killed call may still write
	a.beginKill()
	a.endKill()
	if len(a.pending) != 1 {
		t.Fatalf("pending = %d with one kill outstanding, want 1", len(a.pending))
	}
	a.endKill()
	if len(a.pending) != 0 || a.killing != 0 {
		t.Fatalf("pending = %d, killing = %d after the last kill, want 0, 0", len(a.pending), a.killing)
	}
}

// TestKillMidCall kills PDFium instances mid-call at several points of a
// long document. Before killed instances' memory stayed mapped, the
// compiled WebAssembly of the call in flight faulted on the unmapped range
// and the whole test binary died in about one run of five.
func TestKillMidCall(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 1,158-page file")
	}
	big := corpusPDF(t, "octave.pdf")
	ex := New(Options{PDFEngine: EnginePDFium, Workers: 1})
	defer ex.Close()
	for i := range 12 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(20+25*i)*time.Millisecond)
		_, err := ex.File(ctx, big)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline %d: err = %v, want the deadline", i, err)
		}
	}
	if _, err := ex.File(context.Background(), corpusPDF(t, "lo-table.pdf")); err != nil {
		t.Errorf("next document after the kills: %v", err)
	}
}
