package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/hub"
	"github.com/llsum/llsum/internal/hub/hubtest"
)

// BenchmarkDownload fetches a 128 MiB LFS file from the stand-in Hub
// (verified, fsynced) with 1 and 8 connections; bench/pull compares the
// binary with curl.
func BenchmarkDownload(b *testing.B) {
	data := randomBytes(128<<20, 3)
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("bench/model", &hubtest.Repo{Files: map[string]hubtest.File{"w.bin": {Data: data, LFS: true}}})
	for _, conns := range []int{1, 8} {
		b.Run(map[int]string{1: "conns=1", 8: "conns=8"}[conns], func(b *testing.B) {
			c := hub.New(srv.URL(), "")
			c.Connections = conns
			es, err := c.List(context.Background(), "bench/model", "main")
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				dest := filepath.Join(dir, "w.bin")
				if _, err := c.Download(context.Background(), "bench/model", "main", es[0], dest); err != nil {
					b.Fatal(err)
				}
				os.Remove(dest)
			}
		})
	}
}
