package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// reportDocsLimit is the number of documents up to which Report.Index
// keeps them in memory; beyond it they are only in the index file.
const reportDocsLimit = 10000

// docList collects the index's documents without holding them: each is
// appended to a spill file as it completes and only its path and place in
// the file are kept (tens of bytes per document), so the index of 100,000
// documents costs a few MB of memory. Written out sorted by path.
type docList struct {
	f    *os.File
	w    *bufio.Writer
	off  int64
	ents []docEnt
	mem  []DocResult // the first reportDocsLimit documents, for the Report
	err  error
}

type docEnt struct {
	path string
	off  int64
	n    int32
}

// newDocList spills into a temporary file in dir, removed by close; when
// none can be made the documents are kept in memory.
func newDocList(dir string) *docList {
	l := &docList{}
	if os.MkdirAll(dir, 0o755) != nil {
		return l // no spill file: the documents stay in memory
	}
	f, err := os.CreateTemp(dir, ".index-spill.tmp-*")
	if err != nil {
		return l
	}
	// Nobody else needs the name: the file goes when it is closed.
	_ = os.Remove(f.Name())
	l.f, l.w = f, bufio.NewWriterSize(f, 64<<10)
	return l
}

func (l *docList) add(d DocResult) {
	if l.f == nil {
		l.mem = append(l.mem, d)
		return
	}
	if len(l.ents) < reportDocsLimit {
		l.mem = append(l.mem, d)
	} else {
		l.mem = nil
	}
	if l.err != nil {
		return
	}
	b, err := json.Marshal(&d)
	if err == nil {
		_, err = l.w.Write(b)
	}
	if err != nil {
		l.err = fmt.Errorf("index spill: %w", err)
		return
	}
	l.ents = append(l.ents, docEnt{path: d.Path, off: l.off, n: int32(len(b))})
	l.off += int64(len(b))
}

// documents are the documents for the Report (nil above reportDocsLimit).
func (l *docList) documents() []DocResult {
	if l.mem == nil {
		return []DocResult{}
	}
	sort.SliceStable(l.mem, func(a, b int) bool { return l.mem[a].Path < l.mem[b].Path })
	return l.mem
}

// writeTo writes the documents sorted by path as the items of a JSON array,
// each indented like MarshalIndent with prefix. A docList without a spill
// file (newDocListOf) writes its in-memory documents.
func (l *docList) writeTo(w io.Writer, prefix string) error {
	if l.err != nil {
		return l.err
	}
	if l.f == nil {
		sort.SliceStable(l.mem, func(a, b int) bool { return l.mem[a].Path < l.mem[b].Path })
		return writeItems(w, prefix, len(l.mem), func(i int) (*DocResult, error) { return &l.mem[i], nil })
	}
	if err := l.w.Flush(); err != nil {
		return err
	}
	sort.SliceStable(l.ents, func(a, b int) bool { return l.ents[a].path < l.ents[b].path })
	var buf []byte
	return writeItems(w, prefix, len(l.ents), func(i int) (*DocResult, error) {
		e := l.ents[i]
		if cap(buf) < int(e.n) {
			buf = make([]byte, e.n)
		}
		buf = buf[:e.n]
		if _, err := l.f.ReadAt(buf, e.off); err != nil {
			return nil, fmt.Errorf("index spill: %w", err)
		}
		var d DocResult
		if err := json.Unmarshal(buf, &d); err != nil {
			return nil, fmt.Errorf("index spill: %w", err)
		}
		return &d, nil
	})
}

// newDocListOf wraps documents already in memory (merge).
func newDocListOf(docs []DocResult) *docList { return &docList{mem: docs} }

// count is the number of documents.
func (l *docList) count() int {
	if l.f == nil {
		return len(l.mem)
	}
	return len(l.ents)
}

// writeItems writes n documents as a JSON array's items.
func writeItems(w io.Writer, prefix string, n int, doc func(int) (*DocResult, error)) error {
	for i := 0; i < n; i++ {
		d, err := doc(i)
		if err != nil {
			return err
		}
		out, err := json.MarshalIndent(d, prefix, "  ")
		if err != nil {
			return err
		}
		io.WriteString(w, prefix)
		w.Write(out)
		if i < n-1 {
			io.WriteString(w, ",")
		}
		io.WriteString(w, "\n")
	}
	return nil
}

func (l *docList) close() {
	if l.f != nil {
		l.f.Close()
	}
}
