package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// ErrEmpty is returned for a file with no content at all.
var ErrEmpty = errors.New("empty file")

// ErrNoText is returned (as a Skip) for a document without any text layer.
var ErrNoText = errors.New("no text layer (scanned document?); OCR is not supported")

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pdf":
		return "pdf"
	case ".txt":
		return "text"
	case ".md", ".markdown":
		return "markdown"
	}
	return ""
}

// isPlainText tells whether the file's first 8 KiB are UTF-8 text without
// NUL bytes (a character cut at the end is allowed).
func isPlainText(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 8192)
	n, _ := f.Read(buf)
	b := buf[:n]
	if n == len(buf) {
		for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	return n > 0 && utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

func (e *Extractor) extractFile(ctx context.Context, path string) (doc *Document, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if e.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.Timeout)
		defer cancel()
	}
	format := formatOf(path)
	if format == "" && filepath.Ext(path) == "" && isPlainText(path) {
		// A file without extension named on the command line (NEWS,
		// changelog/unreleased/issue-123): plain UTF-8 text reads as text.
		format = "text"
	}
	if format == "" {
		return nil, fmt.Errorf("extract %s: unsupported file type %q", path, filepath.Ext(path))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("extract %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("extract %s: %w", path, ErrEmpty)
	}
	if format != "pdf" {
		// Text is read whole and copied while decoding and chunking: about
		// textCopies times its size must fit the budget.
		if b := e.memoryBudget(); b > 0 && fi.Size() > b/textCopies {
			return nil, fmt.Errorf("extract %s: %w: a text file of %s (at most %s under this budget)", path,
				ErrMemoryBudget, byteSize(fi.Size()), byteSize(b/textCopies))
		}
		return extractText(path, format)
	}
	// The engines run in their own goroutine so that the time limit holds
	// even where a library call does not watch ctx; such a call is left to
	// finish in the background.
	type result struct {
		doc *Document
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("PDF library panic: %v", p)}
			}
			done <- r
		}()
		r.doc, r.err = e.extractPDF(ctx, path)
	}()
	select {
	case r := <-done:
		doc, err = r.doc, r.err
	case <-ctx.Done():
		doc, err = nil, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && e.opts.Timeout > 0 {
			err = fmt.Errorf("time limit %s exceeded: %w", e.opts.Timeout, err)
		}
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	return doc, nil
}

func extractText(path, format string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	text, warnings, err := decodeText(data)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("extract %s: %w", path, ErrEmpty)
	}
	doc := &Document{Path: path, Format: format, Meta: Meta{PageCount: 1}}
	if format == "markdown" {
		doc.Meta.Title = markdownTitle(text)
	}
	doc.Pages = []Page{{Number: 1, Text: text, Engine: "text", Warnings: warnings}}
	return doc, nil
}

// textCopies is how many times its size a text file costs to read,
// decode and chunk.
const textCopies = 3

// ErrBinary is returned for a text file whose bytes are not text.
var ErrBinary = errors.New("binary data, not text")

// decodeText turns a text file's bytes into UTF-8: by its byte-order mark
// (UTF-8, UTF-16 or UTF-32, either endianness), else as UTF-8, else as
// Windows-1252 (with a warning). NUL characters are dropped. Bytes that
// are mostly control characters are ErrBinary.
func decodeText(data []byte) (string, []string, error) {
	var warnings []string
	var text string
	if enc, name := bomEncoding(data); enc != nil {
		out, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return "", nil, fmt.Errorf("%s text: %w", name, err)
		}
		text = string(out)
		if name != "UTF-8" {
			warnings = append(warnings, "decoded from "+name+" (byte-order mark)")
		}
	} else {
		if err := binaryCheck(data); err != nil {
			return "", nil, err
		}
		if utf8.Valid(data) {
			text = string(data)
		} else if out, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
			text = string(out)
			warnings = append(warnings, "not UTF-8: read as Windows-1252")
		} else {
			text = string(bytes.ToValidUTF8(data, []byte("\uFFFD")))
			warnings = append(warnings, "invalid UTF-8 replaced")
		}
	}
	if strings.Contains(text, "\x00") {
		text = strings.ReplaceAll(text, "\x00", "")
		warnings = append(warnings, "NUL characters removed")
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	return text, warnings, nil
}

// bomEncoding returns the encoding a byte-order mark announces (the
// decoder then drops the mark), or nil.
func bomEncoding(data []byte) (encoding.Encoding, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM), "UTF-32LE"
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM), "UTF-32BE"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16LE"
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "UTF-16BE"
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM, "UTF-8"
	}
	return nil, ""
}

// binaryCheck looks at the first 64 KiB: more than 5% control bytes
// (NUL included; tab, line breaks, form feed and escape excepted) mean
// binary data (an image, an archive, a PDF renamed .txt, UTF-16 without a
// byte-order mark). Random bytes have about 10%; text next to none (a
// few stray control bytes in a short file are tolerated).
func binaryCheck(data []byte) error {
	sample := data[:min(len(data), 64<<10)]
	ctl := 0
	for _, c := range sample {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b {
			ctl++
		}
	}
	if n := len(sample); ctl >= 16 && ctl*20 > n {
		return fmt.Errorf("%w (%d%% control bytes in the first %d; an encoding without a byte-order mark, such as UTF-16, is not detected)", ErrBinary, ctl*100/n, n)
	}
	return nil
}

// markdownTitle returns the text of the first level-1 ATX heading, if any.
func markdownTitle(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "# "))
		}
	}
	return ""
}
