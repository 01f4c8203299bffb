package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llsum/llsum/internal/atomicfile"
	"github.com/llsum/llsum/internal/errclass"
)

// FileInfo is what the Hub says about one file when asked to resolve it.
type FileInfo struct {
	// URL is where the content is fetched: the storage location a
	// redirect named, or the resolve URL itself for small files.
	URL string
	// Size from X-Linked-Size (LFS) or Content-Length; -1 when unknown.
	Size int64
	// SHA256 from X-Linked-Etag (LFS files only).
	SHA256 string
	// Commit from X-Repo-Commit.
	Commit string
}

// ResolveURL is the Hub URL of a file at a revision.
func (c *Client) ResolveURL(repo, revision, path string) string {
	if revision == "" {
		revision = "main"
	}
	return fmt.Sprintf("%s/%s/resolve/%s/%s", c.Endpoint, escapePath(repo), url.PathEscape(revision), escapePath(path))
}

// Resolve asks the Hub where a file's content is, and its size and
// checksum, without downloading it (a HEAD request, as huggingface_hub
// does; same-origin redirects such as a renamed repo are followed).
func (c *Client) Resolve(ctx context.Context, repo, revision, path string) (FileInfo, error) {
	var fi FileInfo
	err := c.retry(ctx, "resolve "+path, func() (bool, error) {
		resp, err := c.do(ctx, http.MethodHead, c.ResolveURL(repo, revision, path), nil, false)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		h := resp.Header
		fi = FileInfo{Size: -1, Commit: h.Get("X-Repo-Commit")}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				return false, fmt.Errorf("%s: bad redirect: %w", path, err)
			}
			fi.URL = loc.String()
		case resp.StatusCode == http.StatusOK:
			fi.URL = resp.Request.URL.String()
			fi.Size = resp.ContentLength
		default:
			return false, statusError(resp)
		}
		if s := h.Get("X-Linked-Size"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return false, fmt.Errorf("%s: bad X-Linked-Size %q", path, s)
			}
			fi.Size = n
		}
		if e := h.Get("X-Linked-Etag"); e != "" {
			fi.SHA256 = strings.ToLower(strings.Trim(strings.TrimPrefix(e, "W/"), `"`))
			if !isHex(fi.SHA256, 64) {
				return false, fmt.Errorf("%s: X-Linked-Etag %q is not a SHA-256", path, e)
			}
		}
		return false, nil
	})
	if err != nil {
		return FileInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return fi, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Result says what Download did.
type Result struct {
	// Skipped: the file was already there and verified.
	Skipped bool
	// Resumed is how many bytes of an earlier partial download were kept.
	Resumed int64
	// Fetched is how many bytes came over the network.
	Fetched int64
	// SHA256 of the file (empty for small non-LFS files, checked by git
	// SHA-1 instead).
	SHA256 string
	Commit string
}

// Download fetches e (an entry of List for repo@revision) into dest. An
// existing dest that matches is kept; a dest.part left by an interrupted
// download is resumed.
func (c *Client) Download(ctx context.Context, repo, revision string, e Entry, dest string) (Result, error) {
	want := expectation{size: e.Size, sha256: e.SHA256(), gitOID: strings.ToLower(e.OID)}
	if e.LFS != nil {
		want.size = e.LFS.Size
		want.gitOID = "" // the git blob is the LFS pointer, not the content
	}
	if want.sha256 == "" && !isHex(want.gitOID, 40) {
		want.gitOID = ""
	}
	if ok, sum := verifyExisting(dest, want); ok {
		return Result{Skipped: true, SHA256: sum}, nil
	}
	fi, err := c.Resolve(ctx, repo, revision, e.Path)
	if err != nil {
		return Result{}, err
	}
	if fi.Size >= 0 && fi.Size != want.size {
		return Result{}, fmt.Errorf("%s: the Hub says %d bytes, the listing %d (did the repo change during the pull?)", e.Path, fi.Size, want.size)
	}
	if fi.SHA256 != "" {
		if want.sha256 != "" && want.sha256 != fi.SHA256 {
			return Result{}, fmt.Errorf("%s: X-Linked-Etag %s differs from the listing's %s (did the repo change during the pull?)", e.Path, fi.SHA256, want.sha256)
		}
		want.sha256, want.gitOID = fi.SHA256, ""
	}
	r, err := c.fetch(ctx, repo, revision, e.Path, fi.URL, dest, want, c.connections())
	r.Commit = fi.Commit
	return r, err
}

type expectation struct {
	size   int64
	sha256 string
	gitOID string
}

func (w expectation) hasher() (hash.Hash, string) {
	if w.sha256 != "" {
		return sha256.New(), "sha256"
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", w.size)
	return h, "git-sha1"
}

func (w expectation) want() string {
	if w.sha256 != "" {
		return w.sha256
	}
	return w.gitOID
}

func (w expectation) checked() bool { return w.sha256 != "" || w.gitOID != "" }

// verifyExisting reports whether path already holds the expected content.
func verifyExisting(path string, w expectation) (bool, string) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != w.size {
		return false, ""
	}
	if !w.checked() {
		return true, ""
	}
	f, err := os.Open(path)
	if err != nil {
		return false, ""
	}
	defer f.Close()
	h, _ := w.hasher()
	if _, err := io.Copy(h, f); err != nil {
		return false, ""
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != w.want() {
		return false, ""
	}
	if w.sha256 != "" {
		return true, got
	}
	return true, ""
}

// partState is saved in dest.part.json while a download is incomplete.
type partState struct {
	Size     int64          `json:"size"`
	Want     string         `json:"want"` // checksum of the content it is for
	Segments []segmentState `json:"segments"`
}

type segmentState struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`  // exclusive
	Next  int64 `json:"next"` // first byte not yet written
}

type segment struct {
	start, end int64
	next       atomic.Int64
}

// plan cuts size bytes into chunks of at most chunk bytes.
func plan(size, chunk int64) []*segment {
	if chunk <= 0 || size <= chunk {
		sg := &segment{start: 0, end: size}
		return []*segment{sg}
	}
	var segs []*segment
	for s := int64(0); s < size; s += chunk {
		sg := &segment{start: s, end: min(s+chunk, size)}
		sg.next.Store(s)
		segs = append(segs, sg)
	}
	return segs
}

// loadState reads dest.part.json when it belongs to the same content and
// the .part file is there; otherwise it returns nil.
func loadState(statePath, partPath string, w expectation) []*segment {
	b, err := os.ReadFile(statePath)
	if err != nil {
		return nil
	}
	var ps partState
	if json.Unmarshal(b, &ps) != nil || ps.Size != w.size || ps.Want != w.want() || len(ps.Segments) == 0 {
		return nil
	}
	st, err := os.Stat(partPath)
	if err != nil {
		return nil
	}
	var segs []*segment
	prev := int64(0)
	for _, s := range ps.Segments {
		if s.Start != prev || s.End < s.Start || s.Next < s.Start || s.Next > s.End || s.End > ps.Size || (s.Next > s.Start && s.Next > st.Size()) {
			return nil
		}
		sg := &segment{start: s.Start, end: s.End}
		sg.next.Store(s.Next)
		segs = append(segs, sg)
		prev = s.End
	}
	if prev != ps.Size {
		return nil
	}
	return segs
}

func saveState(statePath string, w expectation, segs []*segment) error {
	ps := partState{Size: w.size, Want: w.want()}
	for _, s := range segs {
		ps.Segments = append(ps.Segments, segmentState{Start: s.start, End: s.end, Next: s.next.Load()})
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return err
	}
	// Not fsynced on every save: after a crash the worst case is bytes
	// fetched again, and the final checksum catches anything else.
	tmp := statePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath)
}

// fetch downloads url into dest through dest.part, in ranges, verifying
// the result.
func (c *Client) fetch(ctx context.Context, repo, revision, name, rawURL, dest string, w expectation, conns int) (Result, error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return Result{}, err
	}
	partPath, statePath := dest+".part", dest+".part.json"
	segs := loadState(statePath, partPath, w)
	var resumed int64
	for _, s := range segs {
		resumed += s.next.Load() - s.start
	}
	if segs == nil {
		chunk := c.chunkSize()
		if conns == 1 {
			chunk = w.size // one request, no range bookkeeping
		}
		segs = plan(w.size, chunk)
		_ = os.Remove(partPath)
	} else if resumed > 0 {
		c.logf("%s: resuming, %d of %d bytes already here", name, resumed, w.size)
	}
	f, err := os.OpenFile(partPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	if err := saveState(statePath, w, segs); err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}

	dl := &download{c: c, name: name, f: f, segs: segs, wake: make(chan struct{}, 1)}
	dl.url.Store(&rawURL)
	dl.reresolve = func(ctx context.Context) error {
		fi, err := c.Resolve(ctx, repo, revision, name)
		if err != nil {
			return err
		}
		dl.url.Store(&fi.URL)
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The hash follows the downloaded prefix, so that verifying a large
	// file costs (almost) no time after its last byte arrives.
	h, algo := w.hasher()
	dl.h = h
	hashDone := make(chan error, 1)
	go func() { hashDone <- dl.hashFollow(ctx, w.size) }()

	// Progress is saved twice a second and when the download stops.
	saverDone := make(chan struct{})
	stopSaver := make(chan struct{})
	go func() {
		defer close(saverDone)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSaver:
				return
			case <-t.C:
				_ = saveState(statePath, w, segs)
			}
		}
	}()

	// Workers take the chunks in order, so the contiguous prefix the hash
	// follows grows steadily.
	var wg sync.WaitGroup
	var nextChunk atomic.Int64
	todo := 0
	for _, s := range segs {
		if s.next.Load() < s.end {
			todo++
		}
	}
	errs := make([]error, min(conns, todo))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(nextChunk.Add(1) - 1)
				if k >= len(segs) {
					return
				}
				s := segs[k]
				if s.next.Load() >= s.end {
					continue
				}
				if err := dl.fetchSegment(ctx, s, len(segs) == 1); err != nil {
					errs[i] = err
					cancel() // one chunk failing for good ends the others
					dl.poke()
					return
				}
				dl.poke()
			}
			errs[i] = ctx.Err()
		}()
	}
	wg.Wait()
	close(stopSaver)
	<-saverDone
	ferr := firstError(errs)
	if ferr == nil {
		ferr = <-hashDone
	} else {
		cancel()
		<-hashDone
	}
	fetched := dl.fetched.Load()
	if ferr != nil {
		if errors.Is(ferr, ErrNoRange) && len(segs) > 1 {
			// Start over with one connection.
			f.Close()
			_ = os.Remove(statePath)
			_ = os.Remove(partPath)
			c.logf("%s: the server ignores byte ranges; downloading in one piece", name)
			return c.fetch(parent, repo, revision, name, rawURL, dest, w, 1)
		}
		_ = saveState(statePath, w, segs)
		return Result{Resumed: resumed, Fetched: fetched}, fmt.Errorf("%s: %w", name, ferr)
	}
	got := hex.EncodeToString(h.Sum(nil))
	st, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	if st.Size() != w.size {
		f.Close()
		_ = os.Remove(partPath)
		_ = os.Remove(statePath)
		return Result{}, &SizeError{Path: dest, Want: w.size, Got: st.Size()}
	}
	if w.checked() && got != w.want() {
		f.Close()
		_ = os.Remove(partPath)
		_ = os.Remove(statePath)
		return Result{}, &ChecksumError{Path: dest, Algorithm: algo, Want: w.want(), Got: got}
	}
	if err := f.Sync(); err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := os.Rename(partPath, dest); err != nil {
		return Result{}, err
	}
	_ = os.Remove(statePath)
	atomicfile.SyncDir(filepath.Dir(dest))
	r := Result{Resumed: resumed, Fetched: fetched}
	if w.sha256 != "" {
		r.SHA256 = got
	}
	return r, nil
}

func firstError(errs []error) error {
	// A cancellation caused by another range's failure is not the story.
	var canceled error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if errors.Is(e, context.Canceled) {
			canceled = e
			continue
		}
		return e
	}
	return canceled
}

type download struct {
	c         *Client
	name      string
	f         *os.File
	segs      []*segment
	url       atomic.Pointer[string]
	reresolve func(context.Context) error
	fetched   atomic.Int64
	wake      chan struct{}

	hmu  sync.Mutex
	h    hash.Hash
	hoff int64 // bytes hashed so far (a prefix of the file)
}

func (d *download) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// frontier is the end of the contiguous downloaded prefix.
func (d *download) frontier() int64 {
	for _, s := range d.segs {
		if n := s.next.Load(); n < s.end {
			return n
		}
	}
	return d.segs[len(d.segs)-1].end
}

// hashInline hashes p, just written at off, when it continues the hashed
// prefix: then the bytes need not be read back.
func (d *download) hashInline(p []byte, off int64) {
	d.hmu.Lock()
	if d.hoff == off {
		d.h.Write(p)
		d.hoff += int64(len(p))
	}
	d.hmu.Unlock()
}

// hashFollow hashes the file as its prefix grows, until size bytes are in,
// reading back what hashInline did not see (the chunks of the connections
// that were ahead).
func (d *download) hashFollow(ctx context.Context, size int64) error {
	buf := make([]byte, 1<<20)
	for {
		d.hmu.Lock()
		off, fr := d.hoff, d.frontier()
		if off >= size {
			d.hmu.Unlock()
			return nil
		}
		if off < fr {
			n := int(min(int64(len(buf)), fr-off))
			m, err := d.f.ReadAt(buf[:n], off)
			d.h.Write(buf[:m])
			d.hoff += int64(m)
			d.hmu.Unlock()
			if err != nil && !(errors.Is(err, io.EOF) && m == n) {
				return fmt.Errorf("read back: %w", err)
			}
			continue
		}
		d.hmu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.wake:
		}
	}
}

// fetchSegment downloads s, retrying transient failures; whole says s is
// the entire file (so a 200 answer to a Range request is usable).
func (d *download) fetchSegment(ctx context.Context, s *segment, whole bool) error {
	c := d.c
	expired := false
	return c.retry(ctx, d.name, func() (bool, error) {
		if expired {
			expired = false
			if err := d.reresolve(ctx); err != nil {
				return false, err
			}
		}
		before := s.next.Load()
		err := d.get(ctx, s, whole)
		var se *StatusError
		if err != nil && !errclass.IsRetryable(err) && ctx.Err() == nil {
			// A storage URL signed for a limited time answers 403 once it
			// expires: ask the Hub for a fresh one.
			u, _ := url.Parse(*d.url.Load())
			if (errors.Is(err, ErrAuth) || (errors.As(err, &se) && se.Status == http.StatusGone)) && u != nil && !c.sameOrigin(u) {
				expired = true
				err = errclass.AsRetryable(err, 0)
			}
		}
		return s.next.Load() > before, err
	})
}

// get issues one ranged GET for the rest of s and writes what arrives.
func (d *download) get(ctx context.Context, s *segment, whole bool) error {
	next := s.next.Load()
	if next >= s.end {
		return nil
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hdr := http.Header{}
	ranged := !(whole && next == 0)
	if ranged {
		hdr.Set("Range", fmt.Sprintf("bytes=%d-%d", next, s.end-1))
	}
	// A server that stops sending is given up on after StallTimeout.
	stall := d.c.stallTimeout()
	var stalled atomic.Bool
	timer := time.AfterFunc(stall, func() { stalled.Store(true); cancel() })
	defer timer.Stop()
	u, err := url.Parse(*d.url.Load())
	if err != nil {
		return err
	}
	resp, err := d.c.do(rctx, http.MethodGet, u.String(), hdr, true)
	if err != nil {
		if stalled.Load() && ctx.Err() == nil {
			return errclass.AsRetryable(fmt.Errorf("%s: no answer for %s", redact(u), stall), 0)
		}
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if !ranged {
			return fmt.Errorf("%s: unexpected 206", redact(u))
		}
		if start, ok := contentRangeStart(resp.Header.Get("Content-Range")); !ok || start != next {
			return errclass.AsRetryable(fmt.Errorf("%s: asked for bytes from %d, got Content-Range %q", redact(u), next, resp.Header.Get("Content-Range")), 0)
		}
	case http.StatusOK:
		if ranged && !whole {
			return ErrNoRange
		}
		if ranged {
			// The whole file again: start over from byte 0.
			d.c.logf("%s: the server ignored the Range request; downloading from the start", d.name)
			s.next.Store(0)
			next = 0
		}
	case http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%s: range %d-%d not satisfiable (the file is shorter than the listing says)", redact(u), next, s.end-1)
	default:
		return statusError(resp)
	}
	// Writes of 128 KiB to 1 MiB: fewer system calls and wake-ups than one
	// per network read, yet progress shows on a slow link; the stall timer
	// is reset by every read underneath.
	body := &stallReader{r: resp.Body, timer: timer, d: stall}
	buf := make([]byte, 1<<20)
	off := next
	for off < s.end {
		want := min(int64(len(buf)), s.end-off)
		n, rerr := io.ReadAtLeast(body, buf[:want], int(min(want, 128<<10)))
		if n > 0 {
			if _, err := d.f.WriteAt(buf[:n], off); err != nil {
				return errclass.AsFatal(fmt.Errorf("write %s: %w", d.f.Name(), err))
			}
			d.hashInline(buf[:n], off)
			startWriteback(d.f, off, int64(n))
			off += int64(n)
			s.next.Store(off)
			d.fetched.Add(int64(n))
			if d.c.Progress != nil {
				d.c.Progress(int64(n))
			}
			d.poke()
		}
		if rerr != nil {
			if off >= s.end {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if stalled.Load() {
				return errclass.AsRetryable(fmt.Errorf("%s: no data for %s at byte %d", redact(u), stall, off), 0)
			}
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				rerr = io.ErrUnexpectedEOF
			}
			return errclass.AsRetryable(fmt.Errorf("%s: connection lost at byte %d: %w", redact(u), off, rerr), 0)
		}
	}
	return nil
}

// stallReader resets the stall timer on every read that returns data.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	a, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	return n, err == nil
}
