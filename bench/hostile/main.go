// Command hostile writes the hostile PDFs of internal/hostilepdf into a
// folder, for bench/hostile/run.sh.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/llsum/llsum/internal/hostilepdf"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostile DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	files := map[string][]byte{
		"inflate-300MB.pdf":      hostilepdf.InflatingContent(300),
		"shared-kids-2^30.pdf":   hostilepdf.SharedKids(30),
		"kids-cycle.pdf":         hostilepdf.KidsCycle(),
		"form-fanout-10^11.pdf":  hostilepdf.FormFanout(11, 10),
		"objstm-array-200MB.pdf": hostilepdf.ObjStmArray(200),
		"fonts-1000x16MB.pdf":    hostilepdf.InflatingFonts(1000, 16),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
