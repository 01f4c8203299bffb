package extract

import (
	"context"
	"testing"
)

// BenchmarkPDF reads a 336-page manual with each engine (pages/s is
// reported); bench/extract/run.sh compares the whole corpus to pdftotext.
func BenchmarkPDF(b *testing.B) {
	for _, engine := range []string{EnginePDFium, EngineLedongthuc} {
		b.Run(engine, func(b *testing.B) {
			ex := New(Options{PDFEngine: engine, Workers: 1})
			defer ex.Close()
			p := corpusPDF(b, "doxygen-manual.pdf")
			if _, err := ex.File(context.Background(), p); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			pages := 0
			for i := 0; i < b.N; i++ {
				doc, err := ex.File(context.Background(), p)
				if err != nil {
					b.Fatal(err)
				}
				pages += len(doc.Pages)
			}
			b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkFileStartup is the cost of the one-shot File (engine start with
// a warm compilation cache) on a one-page PDF.
func BenchmarkFileStartup(b *testing.B) {
	p := corpusPDF(b, "lo-table.pdf")
	for i := 0; i < b.N; i++ {
		if _, err := File(context.Background(), p, Options{PDFEngine: EnginePDFium}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkManual reads the 2,415-page R reference manual with the default
// engine (auto): the document that bench/extract/run.sh times against
// mutool and pdftotext. Profile it with
//
//	go test ./extract -run - -bench Manual -benchtime 1x -cpuprofile cpu.out
func BenchmarkManual(b *testing.B) {
	p := corpusPDF(b, "R-fullrefman.pdf")
	ex := New(Options{Workers: 1})
	defer ex.Close()
	pages := 0
	for b.Loop() {
		doc, err := ex.File(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		pages += len(doc.Pages)
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}
