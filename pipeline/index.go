package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/llsum/llsum/internal/atomicfile"
)

// Index formats (--index).
const (
	IndexJSON  = "json"
	IndexJSONL = "jsonl"
	IndexNone  = "none"
)

// IndexFormats are the values of Config.Index.
var IndexFormats = []string{IndexJSON, IndexJSONL, IndexNone}

// IndexName is the index file of a run: index.json, or index-I-of-N.json
// for a shard (see MergeIndexes); with format jsonl, .jsonl; with none, "".
func IndexName(sh Shard, format string) string {
	switch format {
	case IndexNone:
		return ""
	case IndexJSONL:
		return "index" + sh.suffix() + ".jsonl"
	}
	return "index" + sh.suffix() + ".json"
}

// reportDocsLimit is the number of documents up to which Report.Index
// keeps them in memory; beyond it they are only in the index file and the
// state database.
const reportDocsLimit = 10000

// reportDocs keeps the first reportDocsLimit documents of a run for its
// Report, and none once there are more.
type reportDocs struct {
	docs []DocResult
	n    int
}

func (l *reportDocs) add(d DocResult) {
	l.n++
	if l.n > reportDocsLimit {
		l.docs = nil
		return
	}
	l.docs = append(l.docs, d)
}

// documents are the documents sorted by path (none above the limit).
func (l *reportDocs) documents() []DocResult {
	if l.n > reportDocsLimit || l.docs == nil {
		return []DocResult{}
	}
	sort.SliceStable(l.docs, func(a, b int) bool { return l.docs[a].Path < l.docs[b].Path })
	return l.docs
}

// docSource calls fn for each document of an index, in order.
type docSource func(fn func(*DocResult) error) error

// docsOf is a docSource over documents in memory.
func docsOf(docs []DocResult) docSource {
	return func(fn func(*DocResult) error) error {
		for i := range docs {
			if err := fn(&docs[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeIndex writes the index atomically in format, one document at a
// time from docs: JSON (idx with its documents), or JSON Lines (a first
// line with idx's fields but the documents, then one line a document).
// Index files of the other formats for the same run are removed, so the
// output folder never holds a stale one.
func writeIndex(outDir string, sh Shard, format string, idx *Index, docs docSource) (string, error) {
	for _, f := range IndexFormats {
		if f != format && f != IndexNone {
			if err := os.Remove(filepath.Join(outDir, IndexName(sh, f))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
	}
	name := IndexName(sh, format)
	if name == "" {
		return "", nil
	}
	path := filepath.Join(outDir, name)
	head := *idx
	head.Documents = nil
	if format == IndexJSONL {
		return path, atomicfile.Write(path, 0o644, func(w io.Writer) error {
			b, err := json.Marshal(struct {
				Index
				Documents *int `json:"documents,omitempty"`
			}{Index: head})
			if err != nil {
				return err
			}
			w.Write(append(b, '\n'))
			enc := json.NewEncoder(w)
			return docs(func(d *DocResult) error { return enc.Encode(d) })
		})
	}
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return path, err
	}
	const tail = "null\n}"
	if !bytes.HasSuffix(b, []byte(tail)) {
		return path, errors.New("index: documents must be the last field")
	}
	b = b[:len(b)-len(tail)]
	return path, atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		n := 0
		err := docs(func(d *DocResult) error {
			sep := ",\n"
			if n == 0 {
				sep = "[\n"
			}
			n++
			out, err := json.MarshalIndent(d, "    ", "  ")
			if err != nil {
				return err
			}
			io.WriteString(w, sep+"    ")
			_, err = w.Write(out)
			return err
		})
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if n == 0 {
			_, err = io.WriteString(w, "[]\n}\n")
		} else {
			_, err = io.WriteString(w, "\n  ]\n}\n")
		}
		return err
	})
}
