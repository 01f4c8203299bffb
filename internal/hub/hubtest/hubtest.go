// Package hubtest runs a local stand-in for the Hugging Face Hub's HTTP
// API, for tests and benchmarks: the recursive tree listing (paginated),
// resolve URLs that serve small files themselves and redirect LFS files to
// a second server on another port (the "storage host") with X-Linked-Etag
// and X-Linked-Size, byte ranges, gated repos that need a token, and
// injected faults (connections dropped mid-file, 5xx answers, corrupted
// content, a stalling or throttled server).
package hubtest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// File is one file of a repo.
type File struct {
	Data []byte
	// LFS files are served by the storage host through a redirect.
	LFS bool
}

// Repo is a repository at revision "main".
type Repo struct {
	Files map[string]File
	// Gated repos answer 401 without the right token.
	Gated bool
}

// Faults are injected into answers; counters count down as they fire. The
// counters are atomic; set the other fields through Server.Configure (the
// handlers read them under the server's lock).
type Faults struct {
	// DropAfter closes the connection after that many bytes of a storage
	// response, for the next Drops responses.
	DropAfter int64
	Drops     atomic.Int64
	// Status5xx answers 503 to the next Fail5xx requests (to either host).
	Fail5xx atomic.Int64
	// Corrupt serves wrong bytes (first byte flipped) for these paths.
	Corrupt map[string]bool
	// Stall makes the next Stalls storage responses stop sending for
	// StallFor after StallAfter bytes.
	StallAfter int64
	StallFor   time.Duration
	Stalls     atomic.Int64
	// Rate, when positive, throttles storage responses to bytes/second.
	Rate atomic.Int64
	// IgnoreRange answers storage requests with the whole file.
	IgnoreRange bool
}

// Server is the stand-in: Hub is the API host, Storage the LFS host.
type Server struct {
	Hub     *httptest.Server
	Storage *httptest.Server
	// Token and PageSize (which splits listings into pages; 0: one page)
	// are read under the server's lock: set them before AddRepo, or
	// through Configure's lock.
	Token    string
	PageSize int
	Faults   Faults
	Commit   string

	mu    sync.Mutex
	repos map[string]*Repo
	blobs map[string][]byte  // sha256 -> content
	sums  map[dataKey]string // a file's data -> its sha256 (computed once)
	// StorageAuth counts requests to the storage host that carried an
	// Authorization header (must stay 0).
	StorageAuth atomic.Int64
	// Requests counts requests per host ("hub", "storage").
	HubRequests, StorageRequests atomic.Int64
	// StorageConns counts TCP connections opened to the storage host.
	StorageConns atomic.Int64
	// BytesServed counts content bytes sent by the storage host.
	BytesServed atomic.Int64
}

// New starts both servers; Close stops them.
func New() *Server {
	s := &Server{repos: map[string]*Repo{}, blobs: map[string][]byte{}, sums: map[dataKey]string{}, Commit: strings.Repeat("c0ffee", 6) + "c0ff"}
	s.Hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	s.Storage = httptest.NewUnstartedServer(http.HandlerFunc(s.serveStorage))
	s.Storage.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.StorageConns.Add(1)
		}
	}
	s.Storage.Start()
	return s
}

// Close stops the servers.
func (s *Server) Close() {
	s.Hub.Close()
	s.Storage.Close()
}

// Configure changes the fault settings safely while the servers run.
func (s *Server) Configure(f func(*Faults)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.Faults)
}

// URL is the Hub endpoint (HF_ENDPOINT).
func (s *Server) URL() string { return s.Hub.URL }

// AddRepo publishes repo (e.g. "org/name").
func (s *Server) AddRepo(name string, r *Repo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[name] = r
	for _, f := range r.Files {
		if f.LFS && len(f.Data) > 0 {
			sum := SHA256(f.Data)
			s.sums[keyOf(f.Data)] = sum
			s.blobs[sum] = f.Data
		}
	}
}

// dataKey identifies a byte slice (its array and length).
type dataKey struct {
	first *byte
	n     int
}

func keyOf(b []byte) dataKey { return dataKey{&b[0], len(b)} }

// sha256Of is SHA256 with the sums of published LFS files cached (the
// stand-in must not spend a benchmark's CPU hashing on every request).
func (s *Server) sha256Of(data []byte) string {
	if len(data) > 0 {
		s.mu.Lock()
		sum, ok := s.sums[keyOf(data)]
		s.mu.Unlock()
		if ok {
			return sum
		}
	}
	return SHA256(data)
}

// GitOID is the git blob id of data.
func GitOID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// SHA256 is the hex SHA-256 of data.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

type entry struct {
	Type string    `json:"type"`
	Path string    `json:"path"`
	Size int64     `json:"size"`
	OID  string    `json:"oid"`
	LFS  *lfsEntry `json:"lfs,omitempty"`
}

type lfsEntry struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int    `json:"pointerSize"`
}

func (s *Server) repo(w http.ResponseWriter, r *http.Request, name string) *Repo {
	s.mu.Lock()
	rp, token := s.repos[name], s.Token
	s.mu.Unlock()
	if rp == nil {
		http.Error(w, `{"error":"Repository not found"}`, http.StatusNotFound)
		return nil
	}
	if rp.Gated && r.Header.Get("Authorization") != "Bearer "+token {
		http.Error(w, `{"error":"Access to this repo is restricted"}`, http.StatusUnauthorized)
		return nil
	}
	return rp
}

func (s *Server) serveHub(w http.ResponseWriter, r *http.Request) {
	s.HubRequests.Add(1)
	if take(&s.Faults.Fail5xx) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/api/models/"); ok {
		// {org}/{name}/tree/{rev}
		parts := strings.SplitN(rest, "/", 4)
		if len(parts) < 4 || parts[2] != "tree" || parts[3] != "main" {
			http.Error(w, "bad listing path", http.StatusNotFound)
			return
		}
		rp := s.repo(w, r, parts[0]+"/"+parts[1])
		if rp == nil {
			return
		}
		s.serveTree(w, r, rp)
		return
	}
	// {org}/{name}/resolve/{rev}/{path}
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "resolve" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	rp := s.repo(w, r, parts[0]+"/"+parts[1])
	if rp == nil {
		return
	}
	if parts[3] != "main" {
		http.Error(w, "Revision not found", http.StatusNotFound)
		return
	}
	f, ok := rp.Files[parts[4]]
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Repo-Commit", s.Commit)
	if !f.LFS {
		w.Header().Set("ETag", `"`+GitOID(f.Data)+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.Data))
		return
	}
	sum := s.sha256Of(f.Data)
	w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
	w.Header().Set("Location", s.Storage.URL+"/blobs/"+sum+"?X-Amz-Signature=secret&name="+url.QueryEscape(path.Base(parts[4])))
	w.WriteHeader(http.StatusFound)
}

func (s *Server) serveTree(w http.ResponseWriter, r *http.Request, rp *Repo) {
	var names []string
	dirs := map[string]bool{}
	for n := range rp.Files {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var all []entry
	for d := range dirs {
		all = append(all, entry{Type: "directory", Path: d, OID: GitOID([]byte(d))})
	}
	for _, n := range names {
		f := rp.Files[n]
		e := entry{Type: "file", Path: n, Size: int64(len(f.Data))}
		if !f.LFS {
			e.OID = GitOID(f.Data)
		} else {
			sum := s.sha256Of(f.Data)
			ptr := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", sum, len(f.Data))
			e.OID = GitOID([]byte(ptr))
			e.Size = int64(len(f.Data))
			e.LFS = &lfsEntry{OID: sum, Size: int64(len(f.Data)), PointerSize: len(ptr)}
		}
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		start, _ = strconv.Atoi(c)
	}
	end := len(all)
	s.mu.Lock()
	pageSize := s.PageSize
	s.mu.Unlock()
	if pageSize > 0 && start+pageSize < end {
		end = start + pageSize
		next := *r.URL
		q := next.Query()
		q.Set("cursor", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", `<`+next.String()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(all[min(start, len(all)):end])
}

func (s *Server) serveStorage(w http.ResponseWriter, r *http.Request) {
	s.StorageRequests.Add(1)
	if r.Header.Get("Authorization") != "" {
		s.StorageAuth.Add(1)
	}
	if take(&s.Faults.Fail5xx) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Query().Get("X-Amz-Signature") != "secret" {
		http.Error(w, "signature", http.StatusForbidden)
		return
	}
	sum, ok := strings.CutPrefix(r.URL.Path, "/blobs/")
	s.mu.Lock()
	data, found := s.blobs[sum]
	s.mu.Unlock()
	if !ok || !found {
		http.Error(w, "no such blob", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	corrupt := s.Faults.Corrupt[r.URL.Query().Get("name")]
	ignoreRange, dropAfter := s.Faults.IgnoreRange, s.Faults.DropAfter
	stallAfter, stallFor := s.Faults.StallAfter, s.Faults.StallFor
	s.mu.Unlock()
	if corrupt {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	if ignoreRange {
		r.Header.Del("Range")
	}
	var out io.Writer = w
	if take(&s.Faults.Drops) {
		out = &dropWriter{w: w, left: dropAfter}
	}
	if take(&s.Faults.Stalls) {
		out = &stallWriter{w: out, flush: w, left: stallAfter, d: stallFor, done: r.Context().Done()}
	}
	if rate := s.Faults.Rate.Load(); rate > 0 {
		out = &rateWriter{w: out, rate: rate, start: time.Now(), done: r.Context().Done()}
	}
	out = &countWriter{w: out, n: &s.BytesServed}
	http.ServeContent(&redirectWriter{ResponseWriter: w, out: out}, r, "", time.Time{}, bytes.NewReader(data))
}

// redirectWriter sends the body through out (headers still go to w).
type redirectWriter struct {
	http.ResponseWriter
	out io.Writer
}

func (r *redirectWriter) Write(p []byte) (int, error) { return r.out.Write(p) }

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// dropWriter aborts the connection after left bytes.
type dropWriter struct {
	w    http.ResponseWriter
	left int64
}

func (d *dropWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > d.left {
		p = p[:d.left]
		d.w.Write(p)
		if f, ok := d.w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	d.left -= int64(len(p))
	return d.w.Write(p)
}

// stallWriter stops for d after left bytes.
type stallWriter struct {
	w     io.Writer
	flush http.ResponseWriter
	left  int64
	d     time.Duration
	done  <-chan struct{}
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if s.left >= 0 && int64(len(p)) > s.left {
		n, err := s.w.Write(p[:s.left])
		if err != nil {
			return n, err
		}
		if f, ok := s.flush.(http.Flusher); ok {
			f.Flush()
		}
		s.left = -1
		select {
		case <-time.After(s.d):
		case <-s.done:
			return n, io.ErrClosedPipe
		}
		m, err := s.w.Write(p[n:])
		return n + m, err
	}
	if s.left >= 0 {
		s.left -= int64(len(p))
	}
	return s.w.Write(p)
}

// rateWriter throttles to rate bytes per second.
type rateWriter struct {
	w     io.Writer
	rate  int64
	start time.Time
	sent  int64
	done  <-chan struct{}
}

func (r *rateWriter) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		n := min(len(p), int(max(r.rate/20, 1)))
		m, err := r.w.Write(p[:n])
		total += m
		r.sent += int64(m)
		if err != nil {
			return total, err
		}
		p = p[n:]
		due := r.start.Add(time.Duration(float64(r.sent) / float64(r.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-r.done:
				return total, io.ErrClosedPipe
			}
		}
	}
	return total, nil
}

// take decrements c when it is positive and reports whether it did.
func take(c *atomic.Int64) bool {
	for {
		n := c.Load()
		if n <= 0 {
			return false
		}
		if c.CompareAndSwap(n, n-1) {
			return true
		}
	}
}
