package hub_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/hub"
	"github.com/llsum/llsum/internal/hub/hubtest"
)

const token = "hf_test_token_do_not_leak"

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fixture is a stand-in Hub with one repo holding a large LFS file, a small
// LFS file and a small plain file.
type fixture struct {
	srv   *hubtest.Server
	big   []byte
	small []byte
	plain []byte
	logs  *logSink
}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := &fixture{
		srv:   hubtest.New(),
		big:   randomBytes(3<<20+12345, 1),
		small: randomBytes(70000, 2),
		plain: []byte(`{"model_type": "llama"}` + "\n"),
		logs:  &logSink{},
	}
	t.Cleanup(fx.srv.Close)
	fx.srv.Token = token
	fx.srv.AddRepo("org/model", &hubtest.Repo{Files: map[string]hubtest.File{
		"sub/model.onnx.data": {Data: fx.big, LFS: true},
		"sub/model.onnx":      {Data: fx.small, LFS: true},
		"sub/config.json":     {Data: fx.plain},
	}})
	fx.srv.AddRepo("org/gated", &hubtest.Repo{Gated: true, Files: map[string]hubtest.File{
		"w.bin": {Data: fx.small, LFS: true},
	}})
	return fx
}

func (fx *fixture) client(tok string) *hub.Client {
	c := hub.New(fx.srv.URL(), tok)
	c.ChunkSize = 256 << 10
	c.Connections = 4
	c.RetryWait = 5 * time.Millisecond
	c.StallTimeout = 300 * time.Millisecond
	c.Log = fx.logs.add
	return c
}

func entry(t *testing.T, c *hub.Client, repo, path string) hub.Entry {
	t.Helper()
	es, err := c.List(context.Background(), repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Path == path {
			return e
		}
	}
	t.Fatalf("%s not listed", path)
	return hub.Entry{}
}

func TestListPaginatedAndTyped(t *testing.T) {
	fx := newFixture(t)
	fx.srv.Configure(func(*hubtest.Faults) { fx.srv.PageSize = 1 })
	c := fx.client("")
	es, err := c.List(context.Background(), "org/model", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Path)
	}
	if strings.Join(got, ",") != "sub/config.json,sub/model.onnx,sub/model.onnx.data" {
		t.Fatalf("listing = %v (directories must be dropped, every page read)", got)
	}
	if es[2].LFS == nil || es[2].SHA256() != hubtest.SHA256(fx.big) || es[2].LFS.Size != int64(len(fx.big)) {
		t.Fatalf("LFS entry = %+v", es[2])
	}
	if es[0].LFS != nil || es[0].OID != hubtest.GitOID(fx.plain) {
		t.Fatalf("plain entry = %+v", es[0])
	}

	_, err = c.List(context.Background(), "org/missing", "main")
	if !errors.Is(err, hub.ErrNotFound) || !strings.Contains(err.Error(), "no such repo or file") {
		t.Fatalf("missing repo: %v", err)
	}
	_, err = c.List(context.Background(), "org/gated", "main")
	if !errors.Is(err, hub.ErrAuth) || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Fatalf("gated without token: %v", err)
	}
	if _, err := fx.client(token).List(context.Background(), "org/gated", "main"); err != nil {
		t.Fatalf("gated with token: %v", err)
	}
}

func TestDownloadWithFaults(t *testing.T) {
	cases := []struct {
		name    string
		path    string
		setup   func(*hubtest.Server, *hub.Client)
		wantErr func(error) bool
	}{
		{name: "clean, parallel ranges", path: "sub/model.onnx.data"},
		{name: "clean, one request", path: "sub/model.onnx"},
		{name: "plain file checked by git oid", path: "sub/config.json"},
		{name: "connections dropped mid-file", path: "sub/model.onnx.data", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Configure(func(f *hubtest.Faults) { f.DropAfter = 100000 })
			s.Faults.Drops.Store(6)
		}},
		{name: "dropped connection, single request", path: "sub/model.onnx", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Configure(func(f *hubtest.Faults) { f.DropAfter = 1000 })
			s.Faults.Drops.Store(3)
		}},
		{name: "5xx answers", path: "sub/model.onnx.data", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Faults.Fail5xx.Store(3)
		}},
		{name: "stalling server", path: "sub/model.onnx.data", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Configure(func(f *hubtest.Faults) { f.StallAfter, f.StallFor = 50000, 5*time.Second })
			s.Faults.Stalls.Store(2)
		}},
		{name: "slow server", path: "sub/model.onnx", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Faults.Rate.Store(400 << 10)
		}},
		{name: "server ignores ranges", path: "sub/model.onnx.data", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Configure(func(f *hubtest.Faults) { f.IgnoreRange = true })
		}},
		{name: "wrong checksum", path: "sub/model.onnx.data", setup: func(s *hubtest.Server, _ *hub.Client) {
			s.Configure(func(f *hubtest.Faults) { f.Corrupt = map[string]bool{"model.onnx.data": true} })
		}, wantErr: func(err error) bool {
			var ce *hub.ChecksumError
			return errors.As(err, &ce) && strings.Contains(err.Error(), "model.onnx.data") && strings.Contains(err.Error(), "deleted")
		}},
		{name: "5xx beyond the retries", path: "sub/model.onnx", setup: func(s *hubtest.Server, c *hub.Client) {
			s.Faults.Fail5xx.Store(100)
			c.Retries = 2
		}, wantErr: func(err error) bool { return strings.Contains(err.Error(), "503") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			c := fx.client(token)
			e := entry(t, c, "org/model", tc.path)
			if tc.setup != nil {
				tc.setup(fx.srv, c)
			}
			dest := filepath.Join(t.TempDir(), filepath.Base(tc.path))
			var progress atomic.Int64
			c.Progress = func(n int64) { progress.Add(n) }
			r, err := c.Download(context.Background(), "org/model", "main", e, dest)
			if tc.wantErr != nil {
				if err == nil || !tc.wantErr(err) {
					t.Fatalf("err = %v", err)
				}
				for _, p := range []string{dest, dest + ".part", dest + ".part.json"} {
					if _, serr := os.Stat(p); serr == nil {
						t.Errorf("%s left behind after %v", p, err)
					}
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				want := map[string][]byte{"sub/model.onnx.data": fx.big, "sub/model.onnx": fx.small, "sub/config.json": fx.plain}[tc.path]
				got, rerr := os.ReadFile(dest)
				if rerr != nil || !bytes.Equal(got, want) {
					t.Fatalf("content differs (%d bytes, want %d): %v", len(got), len(want), rerr)
				}
				if r.Fetched != int64(len(want)) && tc.name != "server ignores ranges" && !strings.Contains(tc.name, "single") {
					t.Errorf("fetched %d bytes for a %d-byte file", r.Fetched, len(want))
				}
				if _, serr := os.Stat(dest + ".part.json"); serr == nil {
					t.Error("state file left behind")
				}
				if progress.Load() != r.Fetched {
					t.Errorf("progress %d, fetched %d", progress.Load(), r.Fetched)
				}
				// 13 chunks: without reuse, one connection each; with reuse
				// about one per worker (a dial racing an idle connection
				// may add one).
				if tc.name == "clean, parallel ranges" && fx.srv.StorageConns.Load() > int64(2*c.Connections) {
					t.Errorf("%d connections to the storage host for %d parallel requests: connections are not reused", fx.srv.StorageConns.Load(), c.Connections)
				}
			}
			if n := fx.srv.StorageAuth.Load(); n != 0 {
				t.Errorf("the token went to the storage host %d times", n)
			}
			for _, s := range []string{fx.logs.String(), errString(err)} {
				if strings.Contains(s, token) || strings.Contains(s, "secret") {
					t.Errorf("token or URL signature in a message: %s", s)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestInterruptedDownloadResumes stops a download after k bytes, for
// several k, and checks that the next run fetches only the rest and that no
// complete-looking file exists in between.
func TestInterruptedDownloadResumes(t *testing.T) {
	for _, stopAt := range []int64{1, 300 << 10, 1 << 20, 5 << 19} {
		fx := newFixture(t)
		c := fx.client(token)
		e := entry(t, c, "org/model", "sub/model.onnx.data")
		dest := filepath.Join(t.TempDir(), "model.onnx.data")
		fx.srv.Faults.Rate.Store(8 << 20) // so that the cancel lands mid-file
		ctx, cancel := context.WithCancel(context.Background())
		var seen atomic.Int64
		c.Progress = func(n int64) {
			if seen.Add(n) >= stopAt {
				cancel()
			}
		}
		r1, err := c.Download(ctx, "org/model", "main", e, dest)
		cancel()
		if err == nil {
			t.Fatalf("stop at %d: download finished despite the cancel", stopAt)
		}
		if _, err := os.Stat(dest); err == nil {
			t.Fatalf("stop at %d: %s exists before the download finished", stopAt, dest)
		}
		c.Progress = nil
		fx.srv.Faults.Rate.Store(0)
		r2, err := c.Download(context.Background(), "org/model", "main", e, dest)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Resumed != r1.Fetched || r1.Fetched+r2.Fetched != int64(len(fx.big)) {
			t.Fatalf("stop at %d: first run %d bytes, second resumed %d and fetched %d, file %d", stopAt, r1.Fetched, r2.Resumed, r2.Fetched, len(fx.big))
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, fx.big) {
			t.Fatalf("stop at %d: content differs", stopAt)
		}
		r3, err := c.Download(context.Background(), "org/model", "main", e, dest)
		if err != nil || !r3.Skipped || r3.SHA256 != hubtest.SHA256(fx.big) {
			t.Fatalf("third run: %+v %v", r3, err)
		}
	}
}

// TestCrashLeftoversNeverPassAsComplete: a .part whose bytes went bad (say
// a crash lost data the state file claims) is caught by the checksum.
func TestCrashLeftoversNeverPassAsComplete(t *testing.T) {
	fx := newFixture(t)
	c := fx.client(token)
	c.Connections = 1
	e := entry(t, c, "org/model", "sub/model.onnx")
	dir := t.TempDir()
	dest := filepath.Join(dir, "model.onnx")
	// A "crash" after 40000 bytes whose last 1000 were lost (zeros).
	part := append([]byte(nil), fx.small[:40000]...)
	clear(part[39000:])
	os.WriteFile(dest+".part", part, 0o644)
	state := `{"size":70000,"want":"` + hubtest.SHA256(fx.small) + `","segments":[{"start":0,"end":70000,"next":40000}]}`
	os.WriteFile(dest+".part.json", []byte(state), 0o644)
	r, err := c.Download(context.Background(), "org/model", "main", e, dest)
	var ce *hub.ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a checksum error", err)
	}
	if r.Resumed != 0 { // the result of a failed run carries no counts
		t.Logf("resumed %d", r.Resumed)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	// The next run starts afresh and succeeds.
	if _, err := c.Download(context.Background(), "org/model", "main", e, dest); err != nil {
		t.Fatal(err)
	}
	// A state file for other content is ignored, not trusted.
	os.Remove(dest)
	os.WriteFile(dest+".part", fx.small[:100], 0o644)
	os.WriteFile(dest+".part.json", []byte(strings.Replace(state, hubtest.SHA256(fx.small), hubtest.SHA256(fx.big), 1)), 0o644)
	r, err = c.Download(context.Background(), "org/model", "main", e, dest)
	if err != nil || r.Resumed != 0 || r.Fetched != int64(len(fx.small)) {
		t.Fatalf("stale state: %+v %v", r, err)
	}
}

func TestNotFoundAndAuthErrors(t *testing.T) {
	fx := newFixture(t)
	c := fx.client("")
	_, err := c.Resolve(context.Background(), "org/model", "main", "nope.bin")
	if !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	_, err = c.Resolve(context.Background(), "org/model", "v9", "sub/config.json")
	if !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("missing revision: %v", err)
	}
	_, err = c.Resolve(context.Background(), "org/gated", "main", "w.bin")
	if !errors.Is(err, hub.ErrAuth) {
		t.Fatalf("gated: %v", err)
	}
	fi, err := fx.client(token).Resolve(context.Background(), "org/gated", "main", "w.bin")
	if err != nil || fi.SHA256 != hubtest.SHA256(fx.small) || fi.Size != int64(len(fx.small)) || !strings.HasPrefix(fi.URL, fx.srv.Storage.URL) {
		t.Fatalf("gated with token: %+v %v", fi, err)
	}
}
