package extract

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/hostilepdf"
)

// TestMemoryBudget: hostile PDFs generated here fail with ErrMemoryBudget
// (or are read once, with a warning, where the structure can be repaired)
// under both the budget given and the default, and within the time limit.
func TestMemoryBudget(t *testing.T) {
	inflating := writeFile(t, "inflate.pdf", hostilepdf.InflatingContent(300))
	if st := fileSize(t, inflating); st > 1<<20 {
		t.Fatalf("inflating PDF is %d bytes; the point is a small file", st)
	}
	cases := []struct {
		name    string
		path    string
		engine  string
		budget  int64
		wantErr string // "" for success
		warn    string
		pages   int
	}{
		{"inflating content, small budget", inflating, EngineLedongthuc, 32 << 20, "exceeds memory budget", "", 0},
		{"inflating content, default budget", inflating, EngineLedongthuc, 0, "exceeds memory budget", "", 0},
		{"inflating content, auto", inflating, EngineAuto, 32 << 20, "exceeds memory budget", "", 0},
		{"2^30 pages from shared kids", writeFile(t, "dag.pdf", hostilepdf.SharedKids(30)), EngineLedongthuc, 0, "", "repeated references skipped", 1},
		{"kids self-cycle", writeFile(t, "cycle.pdf", hostilepdf.KidsCycle()), EngineLedongthuc, 0, "", "repeated references skipped", 1},
		{"form fan-out", writeFile(t, "fanout.pdf", hostilepdf.FormFanout(11, 10)), EngineLedongthuc, 32 << 20, "exceeds memory budget", "", 0},
		{"object stream array", writeFile(t, "objstm.pdf", hostilepdf.ObjStmArray(100)), EngineAuto, 0, "an object stream decodes to more than", "", 0},
		{"small object stream array", writeFile(t, "objstm-small.pdf", hostilepdf.ObjStmArray(1)), EngineLedongthuc, 0, "", "repeated references skipped", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The one-minute timeout bounds the time; the error must be the
			// budget's, so the budget (not the timeout) stopped the work. No
			// wall-clock assertion: under -race on a loaded runner the default
			// budget's case took 30.2 s.
			doc, err := File(context.Background(), c.path, Options{PDFEngine: c.engine, MemoryBudget: c.budget, Timeout: time.Minute})
			if c.wantErr != "" {
				if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), c.path) {
					t.Fatalf("err = %v, want %q naming the file", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Pages) != c.pages {
				t.Errorf("%d pages, want %d", len(doc.Pages), c.pages)
			}
			if !strings.Contains(strings.Join(doc.Warnings, "\n"), c.warn) {
				t.Errorf("warnings %q lack %q", doc.Warnings, c.warn)
			}
		})
	}
}

// TestContentLexer reads the content-stream syntax the interpreter relies
// on, and stops at its limits.
func TestContentLexer(t *testing.T) {
	type call struct {
		op   string
		args string
	}
	describe := func(args []operand) string {
		var b strings.Builder
		var one func(o operand)
		one = func(o operand) {
			switch o.kind {
			case opNumber:
				b.WriteString("n")
			case opString:
				b.WriteString("s:" + string(o.str))
			case opName:
				b.WriteString("/" + o.name())
			case opArray:
				b.WriteString("[")
				for _, e := range o.arr {
					one(e)
					b.WriteString(" ")
				}
				b.WriteString("]")
			default:
				b.WriteString("o")
			}
			b.WriteString(" ")
		}
		for _, a := range args {
			one(a)
		}
		return strings.TrimSpace(b.String())
	}
	cases := []struct {
		name, in string
		want     []call
		err      string
	}{
		{"text", "BT /F1 12 Tf (Hi \\(there\\)\\101) Tj ET", []call{{"BT", ""}, {"Tf", "/F1 n"}, {"Tj", "s:Hi (there)A"}, {"ET", ""}}, ""},
		{"hex and arrays", "[<48 69> -250 (x)] TJ", []call{{"TJ", "[s:Hi  n  s:x  ]"}}, ""},
		{"names and dicts", "/P <</MCID 3 /A [1 2]>> BDC /N#20x Do", []call{{"BDC", "/P o"}, {"Do", "/N x"}}, ""},
		{"comments", "% a comment (\nq Q", []call{{"q", ""}, {"Q", ""}}, ""},
		{"inline image", "BI /W 1 /H 1 ID \x00EI\xff\nEI\n Q", []call{{"BI", ""}, {"Q", ""}}, ""},
		{"operand flood", strings.Repeat("1 ", maxOperands+1) + "Tj", []call{{"Tj", strings.TrimSpace(strings.Repeat("n ", 64))}}, ""},
		{"array flood", "[" + strings.Repeat("1 ", maxOperands+1) + "] TJ", nil, "arrays of more than"},
		{"deep nesting", strings.Repeat("[", maxNesting+1), nil, "nesting"},
		{"unterminated", "(abc", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The interpreter's loop (ledongthuc.go run) reads operators
			// with nextOp: operands kept up to 64, inline images skipped.
			var got []call
			lx := lexer{b: []byte(c.in)}
			var args []operand
			for {
				opb, a, ok := lx.nextOp(args)
				if !ok {
					break
				}
				if string(opb) == "BI" {
					got = append(got, call{"BI", ""})
				} else {
					got = append(got, call{string(opb), describe(a)})
				}
				args, lx.arr = a[:0], lx.arr[:0]
			}
			err := lx.err
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("call %d = %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestPDFiumIsolation: a document that breaks its PDFium instance (forms
// drawing forms 10^11 times run it out of memory, or past the time limit)
// fails alone; the instance is discarded, and the next documents, read by
// the same one-instance Extractor, are read normally.
func TestPDFiumIsolation(t *testing.T) {
	bomb := writeFile(t, "fanout.pdf", hostilepdf.FormFanout(11, 10))
	good := writeFile(t, "good.pdf", makePDF([]string{"A good document after a hostile one."}))
	ex := New(Options{PDFEngine: EnginePDFium, Workers: 1, MemoryBudget: 64 << 20, Timeout: 20 * time.Second})
	defer ex.Close()
	_, err := ex.File(context.Background(), bomb)
	if !errors.Is(err, ErrEngineFault) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fan-out PDF: err = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	for i := 0; i < 3; i++ {
		doc, err := ex.File(context.Background(), good)
		if err != nil {
			t.Fatalf("good PDF %d after the hostile one: %v", i+1, err)
		}
		if !strings.Contains(doc.Text(), "A good document") {
			t.Fatalf("good PDF %d: text %q", i+1, doc.Text())
		}
	}
}

func TestBudgetRoom(t *testing.T) {
	b := newBudget(32 << 20)
	if got := b.room(); got != 32<<20 {
		t.Fatalf("fresh budget: room %d", got)
	}
	_ = b.keep(20<<20, "kept")
	_ = b.hold(10<<20, "page")
	if got := b.room(); got != 2<<20 {
		t.Errorf("room %d, want 2 MiB", got)
	}
	_ = b.hold(8<<20, "page")
	if got := b.room(); got != 0 {
		t.Errorf("over the limit: room %d, want 0", got)
	}
	if got := b.decodeRoom(); got != 32<<20 {
		t.Errorf("decodeRoom %d before any decoding", got)
	}
	_ = b.addDecoded(30 << 20)
	if got := b.decodeRoom(); got != 2<<20 {
		t.Errorf("decodeRoom %d, want 2 MiB", got)
	}
	var none *budget
	if none.room() <= 1<<40 || newBudget(0).room() <= 1<<40 || none.decodeRoom() <= 1<<40 {
		t.Error("no limit: the room should be unbounded")
	}
}
