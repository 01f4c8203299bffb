// Tests of fetch-model.sh against a local server standing in for the hub:
// it fails loudly on any failed file and resumes partial ones.
package scripts

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/testenv"
)

const variant = "onnx-community/Llama-3.2-1B-Instruct-ONNX/resolve/main/cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4/"

// hub serves files under variant; fail decides, per request, whether to
// answer with a status or cut the body short instead.
type hub struct {
	files map[string][]byte
	mu    sync.Mutex
	log   []string // "name range"
	fail  func(name string, n int) (status int, cut bool)
	count map[string]int
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/"+variant)
	h.mu.Lock()
	h.count[name]++
	n := h.count[name]
	h.log = append(h.log, name+" "+r.Header.Get("Range"))
	h.mu.Unlock()
	data, found := h.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	if h.fail != nil {
		status, cut := h.fail(name, n)
		if status != 0 {
			http.Error(w, "failure", status)
			return
		}
		if cut {
			// Promise the whole file, send half, drop the connection.
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func newHub(t *testing.T) (*hub, *httptest.Server) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := &hub{files: map[string][]byte{}, count: map[string]int{}}
	for name, size := range map[string]int{"genai_config.json": 100, "model.onnx": 5000, "model.onnx.data": 300_000,
		"tokenizer.json": 2000, "tokenizer_config.json": 300} { // special_tokens_map.json: not published
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		h.files[name] = b
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

// fetch runs the script with curl against the server into dest.
func fetch(t *testing.T, srv *httptest.Server, dest string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl")
	}
	cmd := exec.Command("bash", "fetch-model.sh", "llama-3.2-1b-cpu-int4", dest)
	cmd.Env = append(os.Environ(), "HF_ENDPOINT="+srv.URL, "LLSUM_FETCH_WITH=curl", "HF_TOKEN=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stderr.String(), err
}

func checkFiles(t *testing.T, h *hub, dest string) {
	t.Helper()
	for name, want := range h.files {
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want %d", name, len(got), err, len(want))
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dest, "*.part")); len(m) > 0 {
		t.Errorf("left over: %v", m)
	}
}

func TestFetchComplete(t *testing.T) {
	h, srv := newHub(t)
	dest := t.TempDir()
	stderr, err := fetch(t, srv, dest)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	checkFiles(t, h, dest)
	if !strings.Contains(stderr, "special_tokens_map.json not published, skipped") {
		t.Errorf("stderr: %s", stderr)
	}
	// A second run finds everything there and downloads nothing.
	before := len(h.log)
	if stderr, err := fetch(t, srv, dest); err != nil || len(h.log) != before+1 { // only the optional 404 again
		t.Errorf("rerun: %v, %d requests: %s", err, len(h.log)-before, stderr)
	}
}

// A download cut short fails the run, naming the file and keeping the
// partial bytes; the next run resumes from them with a range request.
func TestFetchResumes(t *testing.T) {
	h, srv := newHub(t)
	h.fail = func(name string, n int) (int, bool) { return 0, name == "model.onnx.data" && n == 1 }
	dest := t.TempDir()
	stderr, err := fetch(t, srv, dest)
	if err == nil || !strings.Contains(stderr, "model.onnx.data: download failed") || !strings.Contains(stderr, "run again to resume") {
		t.Fatalf("first run: %v: %s", err, stderr)
	}
	st, err := os.Stat(filepath.Join(dest, "model.onnx.data.part"))
	if err != nil || st.Size() != 150_000 {
		t.Fatalf("partial file: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "model.onnx.data")); err == nil {
		t.Fatal("a partial file was given the final name")
	}
	stderr, err = fetch(t, srv, dest)
	if err != nil || !strings.Contains(stderr, "model.onnx.data (resuming after 150000 bytes)") {
		t.Fatalf("second run: %v: %s", err, stderr)
	}
	checkFiles(t, h, dest)
	if !strings.Contains(strings.Join(h.log, "\n"), "model.onnx.data bytes=150000-") {
		t.Errorf("no range request: %v", h.log)
	}
}

// A file that fails for good — missing from the repository, or a server
// error — stops the script with its name; nothing after it is fetched.
func TestFetchFailsLoudly(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		want   string
	}{
		{"missing", http.StatusNotFound, "model.onnx.data: download failed (curl exit 22, HTTP 404)"},
		{"server error", http.StatusInternalServerError, "model.onnx.data: download failed (curl exit 22, HTTP 500)"},
		{"forbidden", http.StatusForbidden, "model.onnx.data: download failed (curl exit 22, HTTP 403)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, srv := newHub(t)
			h.fail = func(name string, n int) (int, bool) {
				if name == "model.onnx.data" {
					return c.status, false
				}
				return 0, false
			}
			dest := t.TempDir()
			stderr, err := fetch(t, srv, dest)
			if err == nil || !strings.Contains(stderr, c.want) {
				t.Fatalf("%v: %s", err, stderr)
			}
			if _, err := os.Stat(filepath.Join(dest, "tokenizer.json")); err == nil {
				t.Error("went on after the failure")
			}
		})
	}
}
