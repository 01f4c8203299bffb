package extract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klippa-app/go-pdfium"
	pdfiumerr "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/llsum/llsum/internal/textutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Bounds of one PDFium instance's linear memory, which follows the
// document memory budget between them: a hostile file fails (a trap, and
// the instance is discarded) instead of eating the host.
const (
	pdfiumMinMemory = 128 << 20
	pdfiumMaxMemory = 1 << 30
)

// pdfiumMemoryPages is the linear-memory limit, in 64 KiB pages, for a
// document budget (0: none given).
func pdfiumMemoryPages(budget int64) uint32 {
	if budget <= 0 {
		budget = pdfiumMaxMemory
	}
	return uint32(min(max(budget, pdfiumMinMemory), pdfiumMaxMemory) >> 16)
}

// pdfiumPool lazily starts PDFium (WebAssembly, run by wazero) and hands out
// instances that are reused across documents.
type pdfiumPool struct {
	cacheDir string
	max      int
	memPages uint32 // linear-memory limit of each instance
	alloc    wasmAllocator

	once sync.Once
	pool pdfium.Pool
	err  error
}

func newPDFiumPool(cacheDir string, max int, budget int64) *pdfiumPool {
	if max < 1 {
		max = 1
	}
	return &pdfiumPool{cacheDir: cacheDir, max: max, memPages: pdfiumMemoryPages(budget), alloc: memoryAllocator()}
}

// wasmAllocator provides PDFium instances' linear memory (wasmmem_*.go).
// A watchdog that kills an instance mid-call brackets the kill with
// beginKill and, once the call has returned, endKill, so that the killed
// call's memory stays mapped until then.
type wasmAllocator interface {
	allocator() experimental.MemoryAllocator
	beginKill()
	endKill()
}

func (p *pdfiumPool) start() (pdfium.Pool, error) {
	p.once.Do(func() {
		cfg := wazero.NewRuntimeConfig().
			// The bundled PDFium lowers setjmp/longjmp to WebAssembly
			// exception handling.
			WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			// Lets a timed-out document's instance be killed mid-call.
			WithCloseOnContextDone(true).
			WithMemoryLimitPages(p.memPages)
		if dir := p.cacheDir; dir != "" {
			if err := os.MkdirAll(dir, 0o755); err == nil {
				if cache, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
					cfg = cfg.WithCompilationCache(cache)
				}
			}
		}
		p.pool, p.err = webassembly.Init(webassembly.Config{
			// Instances' linear memory grows in place and is unmapped when
			// the instance goes (wasmmem_*.go).
			Context:       experimental.WithMemoryAllocator(context.Background(), p.alloc.allocator()),
			MinIdle:       0,
			MaxIdle:       p.max,
			MaxTotal:      p.max,
			ReuseWorkers:  true,
			RuntimeConfig: cfg,
			// No file system: documents are streamed through a reader.
			FSConfig: wazero.NewFSConfig(),
			Stdout:   discard{},
			Stderr:   discard{},
		})
		if p.err != nil {
			p.err = fmt.Errorf("start PDFium: %w", p.err)
		}
	})
	return p.pool, p.err
}

func (p *pdfiumPool) close() {
	if p.pool != nil {
		_ = p.pool.Close()
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// defaultCacheDir is where compiled WebAssembly is kept between runs.
func defaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "llsum", "pdfium")
}

// pdfiumDoc is one open document in one borrowed instance.
type pdfiumDoc struct {
	inst   pdfium.Pdfium
	file   *os.File
	doc    references.FPDF_DOCUMENT
	pages  int
	m      Meta
	stop   func() bool
	killed chan struct{}
	alloc  wasmAllocator
	// broken is set when a call failed other than with one of PDFium's
	// error codes (a trap: out of memory, a crash): the instance is then
	// discarded instead of going back to the pool, where it would fail
	// every later document.
	broken bool
}

func (p *pdfiumPool) open(ctx context.Context, in docInput, password string) (d *pdfiumDoc, err error) {
	pool, err := p.start()
	if err != nil {
		return nil, err
	}
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("PDFium instance: %w", err)
	}
	killed := make(chan struct{})
	doc := &pdfiumDoc{inst: inst, killed: killed, alloc: p.alloc}
	d = doc
	// A watchdog kills the instance when ctx ends: the call in flight then
	// returns an error and the pool replaces the instance. close ends the
	// kill (endKill) after that call has returned.
	doc.stop = context.AfterFunc(ctx, func() {
		defer close(killed)
		p.alloc.beginKill()
		_ = inst.Kill()
	})
	defer func() {
		if err != nil {
			doc.close()
			d = nil
		}
	}()
	req := &requests.OpenDocument{File: &in.data}
	if in.data == nil {
		f, err := os.Open(in.path)
		if err != nil {
			return nil, err
		}
		d.file = f
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		req = &requests.OpenDocument{FileReader: f, FileReaderSize: fi.Size()}
	}
	if password != "" {
		req.Password = &password
	}
	res, err := inst.OpenDocument(req)
	if err != nil {
		return nil, d.mapErr(ctx, err, password)
	}
	d.doc = res.Document
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: d.doc})
	if err != nil {
		return nil, d.mapErr(ctx, err, password)
	}
	d.pages = pc.PageCount
	d.m.PageCount = pc.PageCount
	if rev, err := inst.FPDF_GetSecurityHandlerRevision(&requests.FPDF_GetSecurityHandlerRevision{Document: d.doc}); err == nil {
		d.m.Encrypted = rev.SecurityHandlerRevision != -1
	}
	if md, err := inst.GetMetaData(&requests.GetMetaData{Document: d.doc, Tags: &[]string{"Title", "Author", "Producer"}}); err == nil {
		for _, t := range md.Tags {
			v := cleanMeta(t.Value)
			switch t.Tag {
			case "Title":
				d.m.Title = v
			case "Author":
				d.m.Author = v
			case "Producer":
				d.m.Producer = v
			}
		}
	}
	return d, nil
}

func cleanMeta(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), ""))
}

// mapErr turns PDFium's error codes into the causes users read.
func (d *pdfiumDoc) mapErr(ctx context.Context, err error, password string) error {
	select {
	case <-d.killed:
		if ctx.Err() != nil {
			return ctx.Err()
		}
	default:
	}
	if !isPDFiumCode(err) {
		d.broken = true
		return fmt.Errorf("%w: %s", ErrEngineFault, textutil.FirstLine(err.Error()))
	}
	switch {
	case errors.Is(err, pdfiumerr.ErrPassword):
		if password == "" {
			return ErrPasswordRequired
		}
		return ErrWrongPassword
	case errors.Is(err, pdfiumerr.ErrFormat), errors.Is(err, pdfiumerr.ErrFile):
		return fmt.Errorf("%w (PDFium: %v)", ErrNotPDF, err)
	case errors.Is(err, pdfiumerr.ErrSecurity):
		return fmt.Errorf("unsupported encryption: %w", err)
	}
	return err
}

// isPDFiumCode reports whether err is one of PDFium's own error codes (as
// opposed to a failure of the instance running it).
func isPDFiumCode(err error) bool {
	for _, e := range []error{pdfiumerr.ErrUnknown, pdfiumerr.ErrFile, pdfiumerr.ErrFormat, pdfiumerr.ErrPassword, pdfiumerr.ErrSecurity, pdfiumerr.ErrPage} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// pageText returns the text of page i (0-based) in PDFium's reading order.
func (d *pdfiumDoc) pageText(ctx context.Context, i int) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	pg, err := d.inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: d.doc, Index: i})
	if err != nil {
		return "", d.mapErr(ctx, err, "")
	}
	defer d.inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: pg.Page})
	tp, err := d.inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &pg.Page}})
	if err != nil {
		return "", d.mapErr(ctx, err, "")
	}
	defer d.inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	n, err := d.inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return "", d.mapErr(ctx, err, "")
	}
	if n.Count <= 0 {
		return "", nil
	}
	t, err := d.inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, StartIndex: 0, Count: n.Count})
	if err != nil {
		return "", d.mapErr(ctx, err, "")
	}
	return t.Text, nil
}

func (d *pdfiumDoc) close() {
	if d.stop != nil && !d.stop() {
		// The watchdog ran: the instance is gone already, and no call
		// runs in it any more.
		<-d.killed
		d.alloc.endKill()
		d.inst = nil
	}
	if d.inst != nil && d.broken {
		_ = d.inst.Kill()
		d.inst = nil
	}
	if d.inst != nil {
		if d.doc != "" {
			_, _ = d.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
		}
		_ = d.inst.Close()
	}
	if d.file != nil {
		_ = d.file.Close()
	}
}

func (d *pdfiumDoc) meta() Meta    { return d.m }
func (d *pdfiumDoc) numPages() int { return d.pages }

func (d *pdfiumDoc) page(ctx context.Context, i int) (string, error) { return d.pageText(ctx, i) }
