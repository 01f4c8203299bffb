package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/extract/cjkfixture"
	"github.com/llsum/llsum/extract/textmetric"
)

// benchFixtures reads the CJK mojibake fixtures of issue 14 and prints each
// one's CJK survival against the text it was made from, with the pages
// read by each engine and those marked garbled. Where the file itself
// holds no Unicode for the text (ReplacementUnembedded), survival cannot be
// had: the figure that counts is that the pages are marked.
func benchFixtures(ctx context.Context, ex *extract.Extractor) error {
	dir, err := os.MkdirTemp("", "cjkfixture")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pages := cjkfixture.Report()
	ref := cjkfixture.Text(pages)
	fmt.Printf("\nCJK mojibake fixtures (extract/cjkfixture, %d pages each)\n", len(pages))
	fmt.Printf("%-18s %7s %9s  %s\n", "defect", "cjk", "garbled", "engines")
	for _, d := range []cjkfixture.Defect{cjkfixture.Intact, cjkfixture.NoToUnicode, cjkfixture.EmptyToUnicode,
		cjkfixture.PUAToUnicode, cjkfixture.ReplacementToUnicode, cjkfixture.NoToUnicodeUnembedded, cjkfixture.PUAUnembedded, cjkfixture.ReplacementUnembedded} {
		b, err := cjkfixture.Build(pages, d)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, d.String()+".pdf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		doc, err := ex.File(ctx, p)
		if err != nil {
			fmt.Printf("%-18s error: %v\n", d, err)
			continue
		}
		engines := map[string]int{}
		var garbled []string
		for _, pg := range doc.Pages {
			engines[pg.Engine]++
			if pg.Garbled {
				garbled = append(garbled, fmt.Sprint(pg.Number))
			}
		}
		g := "-"
		if len(garbled) > 0 {
			g = strings.Join(garbled, ",")
		}
		fmt.Printf("%-18s %7.4f %9s  %v\n", d, textmetric.Compare(ref, doc.Text()).CJKSurvival(), g, engines)
	}
	return nil
}
