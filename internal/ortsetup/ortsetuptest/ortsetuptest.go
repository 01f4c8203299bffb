// Package ortsetuptest serves npm-style package tarballs from a local HTTP
// server, for tests of `llsum setup` that must not reach a registry.
package ortsetuptest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Entry is one member of a tarball: a file (Data) or a symlink (Link).
type Entry struct {
	Name, Link string
	Data       []byte
}

// BuildTgz returns a gzipped tarball of entries.
func BuildTgz(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Size: int64(len(e.Data)), Typeflag: tar.TypeReg}
		if e.Link != "" {
			h = &tar.Header{Name: e.Name, Linkname: e.Link, Typeflag: tar.TypeSymlink, Mode: 0o777}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.Link == "" {
			if _, err := tw.Write(e.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Registry serves tarballs by URL path ("/NAME/-/BASE-VERSION.tgz") and
// counts requests.
type Registry struct {
	*httptest.Server
	Hits atomic.Int64
}

// NewRegistry starts a registry closed when the test ends.
func NewRegistry(t testing.TB, tarballs map[string][]byte) *Registry {
	r := &Registry{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Hits.Add(1)
		b, ok := tarballs[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(r.Close)
	return r
}
