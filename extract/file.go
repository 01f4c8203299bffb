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
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var warnings []string
	if !utf8.Valid(data) {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
		warnings = append(warnings, "invalid UTF-8 replaced")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
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

// markdownTitle returns the text of the first level-1 ATX heading, if any.
func markdownTitle(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "# "))
		}
	}
	return ""
}
