// Package hub is a client for the Hugging Face Hub's HTTP API, the part of
// it huggingface_hub uses to download a repository's files:
//
//   - the file listing, GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true
//     (paginated with a Link: <…>; rel="next" header);
//   - a file, GET {endpoint}/{repo}/resolve/{revision}/{path}, which answers
//     small files itself and redirects large (LFS) ones to a storage host,
//     with the SHA-256 of the content in X-Linked-Etag and its size in
//     X-Linked-Size.
//
// Downloads go to PATH.part beside the target, large files in parallel
// byte ranges, with the progress of each range saved in PATH.part.json so
// that an interrupted download resumes where it stopped. The target appears
// (by rename) only once its size and checksum are verified; a file whose
// checksum is wrong is deleted and reported as a *ChecksumError.
//
// The token (HF_TOKEN) is sent only to the endpoint's own scheme, host and
// port: never to the storage host a redirect leads to, and never logged.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llsum/llsum/internal/errclass"
)

// DefaultEndpoint is the Hub used when HF_ENDPOINT is not set.
const DefaultEndpoint = "https://huggingface.co"

// Sentinel errors; every error of this package wraps one of them or is a
// *ChecksumError, *StatusError or a network error.
var (
	// ErrNotFound: the Hub answered 404 (the repo, revision or file does not exist).
	ErrNotFound = errors.New("no such repo or file")
	// ErrAuth: the Hub answered 401 or 403 (a gated or private repo).
	ErrAuth = errors.New("needs HF_TOKEN (a token with access to the repo; gated repos also need their licence accepted on the Hub)")
	// ErrNoRange: the server ignored a Range request for a partial file.
	ErrNoRange = errors.New("server does not support byte ranges")
)

// StatusError is an unexpected HTTP status. 5xx and 429 are retryable.
type StatusError struct {
	URL    string // without query (storage URLs carry signatures)
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// ChecksumError says a downloaded file did not match what the Hub recorded;
// the file has been deleted.
type ChecksumError struct {
	Path      string
	Algorithm string // "sha256" or "git-sha1"
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: checksum mismatch (%s %s, want %s); the file was deleted", e.Path, e.Algorithm, e.Got, e.Want)
}

// SizeError says a downloaded file has the wrong size; it has been deleted.
type SizeError struct {
	Path      string
	Want, Got int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s: size %d, want %d; the file was deleted", e.Path, e.Got, e.Want)
}

// Client talks to one Hub endpoint. The zero value is not usable; fill
// Endpoint (or use New).
type Client struct {
	// Endpoint is the Hub's base URL (HF_ENDPOINT), e.g. DefaultEndpoint.
	Endpoint string
	// Token is sent as "Authorization: Bearer" to Endpoint's host only.
	Token string
	// HTTP is the client used; its redirect policy is ignored (redirects
	// are followed here, so the token never crosses hosts). nil: a client
	// with sane timeouts.
	HTTP *http.Client
	// Connections is how many byte ranges of one large file are fetched at
	// once (default 8).
	Connections int
	// ChunkSize is the size of one byte-range request (default 16 MiB);
	// a file is cut into chunks handed out in order to the connections,
	// so the verified prefix grows steadily. Smaller files take one
	// request.
	ChunkSize int64
	// Retries is how many times a failing request is tried again when it
	// made no progress (default 5); a request that made progress resets the
	// count.
	Retries int
	// RetryWait is the first pause between tries, doubled each time up to
	// 30 s (default 1 s). A Retry-After header wins.
	RetryWait time.Duration
	// StallTimeout aborts (and retries) a request that delivers no byte for
	// that long (default 60 s).
	StallTimeout time.Duration
	// Progress, when set, is called with every chunk of bytes written
	// (from several goroutines at once; it must be safe for that).
	Progress func(n int64)
	// Log, when set, receives one-line notices (retries, resumes). It
	// never receives the token.
	Log func(msg string)

	once sync.Once
	hc   *http.Client
}

// New returns a Client for endpoint ("" for DefaultEndpoint) and token.
func New(endpoint, token string) *Client {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), Token: token}
}

// httpClient is the client do() uses, made once per Client so that
// connections are reused from one request (and chunk) to the next.
func (c *Client) httpClient() *http.Client {
	c.once.Do(func() { c.hc = c.newHTTPClient() })
	return c.hc
}

func (c *Client) newHTTPClient() *http.Client {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			// Model weights do not compress; asking for gzip would only
			// cost CPU and break byte ranges on some servers.
			DisableCompression: true,
		}}
	}
	// Redirects are followed by do(), hop by hop.
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func (c *Client) connections() int {
	if c.Connections > 0 {
		return c.Connections
	}
	return 8
}

func (c *Client) chunkSize() int64 {
	if c.ChunkSize > 0 {
		return c.ChunkSize
	}
	return 16 << 20
}

func (c *Client) retries() int {
	if c.Retries > 0 {
		return c.Retries
	}
	if c.Retries < 0 {
		return 0
	}
	return 5
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return 60 * time.Second
}

func (c *Client) logf(format string, a ...any) {
	if c.Log != nil {
		c.Log(fmt.Sprintf(format, a...))
	}
}

// sameOrigin reports whether u is on the endpoint's scheme, host and port:
// the only place the token goes.
func (c *Client) sameOrigin(u *url.URL) bool {
	e, err := url.Parse(c.Endpoint)
	if err != nil {
		return false
	}
	return strings.EqualFold(e.Scheme, u.Scheme) && strings.EqualFold(hostPort(e), hostPort(u))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch u.Scheme {
	case "https":
		return u.Host + ":443"
	case "http":
		return u.Host + ":80"
	}
	return u.Host
}

// redact drops the query of a URL for messages: storage URLs carry
// signatures in it.
func redact(u *url.URL) string {
	cp := *u
	cp.RawQuery, cp.Fragment, cp.User = "", "", nil
	return cp.String()
}

// maxRedirects bounds a redirect chain.
const maxRedirects = 10

// do sends method to rawURL with the extra headers, following redirects
// itself: the token goes only to same-origin hops. followCross=false stops
// at the first redirect to another origin and returns that response (its
// Location is where the content is). The caller closes the body.
func (c *Client) do(ctx context.Context, method, rawURL string, hdr http.Header, followCross bool) (*http.Response, error) {
	hc := c.httpClient()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		req.Header.Set("User-Agent", "llsum")
		if c.Token != "" && c.sameOrigin(u) {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, netError(u, err)
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return resp, nil
		}
		loc, err := resp.Location()
		if err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("%s: redirect without a usable Location: %w", redact(u), err)
		}
		if !followCross && !c.sameOrigin(loc) {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if hop+1 >= maxRedirects {
			return nil, fmt.Errorf("%s: more than %d redirects", redact(u), maxRedirects)
		}
		u = loc
	}
}

// netError wraps a transport error as retryable unless the context ended.
func netError(u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the full URL, query included
	}
	err = fmt.Errorf("%s: %w", redact(u), err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errclass.AsRetryable(err, 0)
}

// statusError maps a non-2xx response to an error (and closes its body).
func statusError(resp *http.Response) error {
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	u := redact(resp.Request.URL)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w", u, ErrNotFound)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: HTTP %d: %w", u, resp.StatusCode, ErrAuth)
	}
	se := &StatusError{URL: u, Status: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return errclass.AsRetryable(se, retryAfter(resp.Header.Get("Retry-After")))
	}
	return se
}

func retryAfter(s string) time.Duration {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		return time.Until(t)
	}
	return 0
}

// Entry is one item of a repository listing.
type Entry struct {
	Type string `json:"type"` // "file" or "directory"
	Path string `json:"path"`
	Size int64  `json:"size"`
	// OID is the git blob id (SHA-1 of "blob SIZE\0"+content).
	OID string `json:"oid"`
	// LFS is set for files stored in Git LFS (the large ones).
	LFS *LFSInfo `json:"lfs,omitempty"`
}

// LFSInfo is the LFS part of an Entry: OID is the SHA-256 of the content.
type LFSInfo struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// SHA256 returns the content's SHA-256 when the listing has it ("" for
// files not in LFS).
func (e Entry) SHA256() string {
	if e.LFS != nil {
		return strings.ToLower(e.LFS.OID)
	}
	return ""
}

// escapeRepoPath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// List returns the files (not folders) of repo at revision, recursively.
func (c *Client) List(ctx context.Context, repo, revision string) ([]Entry, error) {
	if revision == "" {
		revision = "main"
	}
	next := fmt.Sprintf("%s/api/models/%s/tree/%s?recursive=true", c.Endpoint, escapePath(repo), url.PathEscape(revision))
	var out []Entry
	for page := 0; next != ""; page++ {
		if page > 10000 {
			return nil, fmt.Errorf("list %s: too many pages", repo)
		}
		var entries []Entry
		var link string
		err := c.retry(ctx, "list "+repo, func() (bool, error) {
			resp, err := c.do(ctx, http.MethodGet, next, nil, true)
			if err != nil {
				return false, err
			}
			if resp.StatusCode != http.StatusOK {
				return false, statusError(resp)
			}
			defer resp.Body.Close()
			entries = nil
			if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&entries); err != nil {
				return false, errclass.AsRetryable(fmt.Errorf("list %s: bad listing: %w", repo, err), 0)
			}
			link = nextLink(resp.Header.Get("Link"), resp.Request.URL)
			return false, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s@%s: %w", repo, revision, err)
		}
		for _, e := range entries {
			if e.Type == "file" {
				out = append(out, e)
			}
		}
		next = link
	}
	return out, nil
}

// nextLink extracts the rel="next" URL of an RFC 8288 Link header.
func nextLink(h string, base *url.URL) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		target := strings.Trim(strings.TrimSpace(seg[0]), "<>")
		for _, p := range seg[1:] {
			if strings.ReplaceAll(strings.TrimSpace(p), " ", "") == `rel="next"` {
				if u, err := base.Parse(target); err == nil {
					return u.String()
				}
			}
		}
	}
	return ""
}

// retry runs f until it succeeds, fails for good, or ctx ends. f reports
// whether it made progress (which resets the count of tries).
func (c *Client) retry(ctx context.Context, what string, f func() (progress bool, err error)) error {
	wait := c.RetryWait
	if wait <= 0 {
		wait = time.Second
	}
	tries := 0
	for {
		progress, err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errclass.IsRetryable(err) {
			return err
		}
		if progress {
			tries = 0
		}
		tries++
		if tries > c.retries() {
			return err
		}
		d := wait << (tries - 1)
		if d > 30*time.Second || d <= 0 {
			d = 30 * time.Second
		}
		if ra := errclass.RetryAfter(err); ra > d && ra < 10*time.Minute {
			d = ra
		}
		c.logf("%s: %v; retrying in %s (%d/%d)", what, err, d.Round(time.Millisecond), tries, c.retries())
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
