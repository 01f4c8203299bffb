// Command walkbench times walking a tree: the standard library's ReadDir
// recursion (as pipeline/walk.go does it) against fastwalk (concurrent).
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charlievieth/fastwalk"
)

func std(dir string, n *int) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			std(p, n)
			continue
		}
		*n++
	}
}

func main() {
	root := os.Args[1]
	for round := 0; round < 3; round++ {
		t0 := time.Now()
		n := 0
		std(root, &n)
		ds := time.Since(t0)
		t0 = time.Now()
		var m atomic.Int64
		var mu = make(chan string, 1<<16)
		done := make(chan []string)
		go func() {
			var all []string
			for p := range mu {
				all = append(all, p)
			}
			sort.Strings(all) // the walk must stay deterministic: sort after
			done <- all
		}()
		fastwalk.Walk(&fastwalk.Config{Follow: false}, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && p != root {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				m.Add(1)
				mu <- p
			}
			return nil
		})
		close(mu)
		<-done
		df := time.Since(t0)
		fmt.Printf("round %d: stdlib %d files %v; fastwalk %d files %v (sorted after); ratio %.2f\n", round, n, ds, m.Load(), df, float64(ds)/float64(df))
	}
}
