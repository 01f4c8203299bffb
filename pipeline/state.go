package pipeline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/atomicfile"
)

// StateDir is the folder, inside the output folder, where llsum keeps its
// incremental state and its locks.
const StateDir = ".llsum"

// stateVersion is the version of the state file's schema.
const stateVersion = 1

// stateFile is OUT/.llsum/state.json (state-I-of-N.json for a shard): one
// record per document summarized successfully in this output folder.
type stateFile struct {
	SchemaVersion int           `json:"schema_version"`
	Shard         string        `json:"shard,omitempty"`
	Updated       time.Time     `json:"updated"`
	Documents     []stateRecord `json:"documents"`
}

// stateRecord says what produced a document's outputs. The document is
// skipped next time when its content hash, model identity and parameters
// key are unchanged and the outputs are still there.
type stateRecord struct {
	// Out is the outputs' path relative to the output folder, without the
	// .md/.json suffix: the record's key.
	Out    string `json:"out"`
	Source string `json:"source"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// Model is the model identity (infer.ModelInfo.Identity).
	Model string `json:"model"`
	// Params is Parameters.Key().
	Params  string    `json:"params"`
	Outputs []string  `json:"outputs"`
	Done    time.Time `json:"done"`
}

// contentKey identifies a summary by what it depends on.
type contentKey [16]byte

func (r *stateRecord) key() contentKey {
	return makeContentKey(r.SHA256, r.Model, r.Params)
}

func makeContentKey(sha, model, params string) contentKey {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", sha, model, params)
	var k contentKey
	copy(k[:], h.Sum(nil))
	return k
}

// modelIdentity is the model's part of the incremental key.
func modelIdentity(info infer.ModelInfo) string {
	if info.Identity != "" {
		return info.Identity
	}
	return info.Backend + ":" + info.Model + "@" + info.Endpoint
}

// state is the previous run's records, read-only during a run (workers
// consult it without locking), plus a content index for renamed files.
type state struct {
	records   []stateRecord
	byOut     map[string]int32
	byContent map[contentKey]int32
}

func newState(records []stateRecord) *state {
	s := &state{
		records:   records,
		byOut:     make(map[string]int32, len(records)),
		byContent: make(map[contentKey]int32, len(records)),
	}
	for i := range records {
		s.byOut[records[i].Out] = int32(i)
		s.byContent[records[i].key()] = int32(i)
	}
	return s
}

func (s *state) lookup(out string) *stateRecord {
	if i, ok := s.byOut[out]; ok {
		return &s.records[i]
	}
	return nil
}

func (s *state) lookupContent(k contentKey) *stateRecord {
	if i, ok := s.byContent[k]; ok {
		return &s.records[i]
	}
	return nil
}

// errCorruptState marks a state file that cannot be read back.
var errCorruptState = errors.New("corrupt state file")

// loadState reads the state file. A missing file is an empty state; an
// unreadable or corrupt one is moved aside (to NAME.bad, kept for
// inspection) and reported, and the run goes on without state: the
// per-document JSON outputs still let unchanged documents be skipped.
func loadState(path string) (*state, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(nil), nil
	}
	if err != nil {
		return newState(nil), fmt.Errorf("read state %s: %w", path, err)
	}
	sf, err := decodeState(f)
	f.Close()
	if err != nil {
		bad := path + ".bad"
		if rerr := os.Rename(path, bad); rerr == nil {
			return newState(nil), fmt.Errorf("%w %s (moved to %s; running without state): %w", errCorruptState, path, filepath.Base(bad), err)
		}
		return newState(nil), fmt.Errorf("%w %s (running without state): %w", errCorruptState, path, err)
	}
	return newState(sf.Documents), nil
}

// decodeState reads a state file record by record (the file of 100,000
// documents is never in memory whole), interning the strings every record
// shares, and checks each record.
func decodeState(r io.Reader) (stateFile, error) {
	var f stateFile
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	intern := map[string]string{}
	in := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		intern[s] = s
		return s
	}
	if err := expectDelim(dec, '{'); err != nil {
		return f, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f, err
		}
		switch tok {
		case "schema_version":
			if err := dec.Decode(&f.SchemaVersion); err != nil {
				return f, err
			}
			if f.SchemaVersion != stateVersion {
				return f, fmt.Errorf("schema version %d, want %d", f.SchemaVersion, stateVersion)
			}
		case "documents":
			if f.SchemaVersion != stateVersion {
				return f, errors.New("no schema version before the documents")
			}
			if err := expectDelim(dec, '['); err != nil {
				return f, err
			}
			for dec.More() {
				var rec stateRecord
				if err := dec.Decode(&rec); err != nil {
					return f, err
				}
				if !validRecord(&rec) {
					return f, fmt.Errorf("record %d (%q) not understood", len(f.Documents), rec.Out)
				}
				rec.Model, rec.Params = in(rec.Model), in(rec.Params)
				f.Documents = append(f.Documents, rec)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return f, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return f, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return f, err
	}
	if f.SchemaVersion != stateVersion {
		return f, errors.New("no schema version")
	}
	if _, err := dec.Token(); err != io.EOF {
		return f, errors.New("data after the state object")
	}
	return f, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %q, found %v", d, tok)
	}
	return nil
}

func validRecord(r *stateRecord) bool {
	if r.Out == "" || outputRel(r.Out) != r.Out || r.SHA256 == "" {
		return false
	}
	for _, o := range r.Outputs {
		if !outputOf(r.Out, o) {
			return false
		}
	}
	return true
}

// outputOf reports whether o is one of out's output files (never a path
// elsewhere: a tampered state must not make --prune delete other files).
func outputOf(out, o string) bool {
	return o == out+".md" || o == out+".json"
}

// saveState writes the records atomically, sorted by output path, one
// record at a time.
func saveState(path, shard string, records []stateRecord) error {
	sort.Slice(records, func(a, b int) bool { return records[a].Out < records[b].Out })
	head, err := json.Marshal(stateFile{SchemaVersion: stateVersion, Shard: shard, Updated: time.Now().UTC()})
	if err != nil {
		return err
	}
	const tail = `"documents":null}`
	if !bytes.HasSuffix(head, []byte(tail)) {
		return errors.New("state: documents must be the last field")
	}
	head = append(head[:len(head)-len(tail)], `"documents":[`...)
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		w.Write(head)
		enc := json.NewEncoder(w)
		for i := range records {
			if i > 0 {
				io.WriteString(w, ",")
			}
			if err := enc.Encode(&records[i]); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "]}\n")
		return err
	})
	if err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	return nil
}

// writeIndex writes the index atomically, one document at a time, the
// documents coming from docs when it is set, else from idx.Documents.
func writeIndex(path string, idx *Index, docs *docList) error {
	head := *idx
	head.Documents = nil
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	const tail = "null\n}"
	if !bytes.HasSuffix(b, []byte(tail)) {
		return errors.New("index: documents must be the last field")
	}
	b = b[:len(b)-len(tail)]
	if docs == nil {
		docs = newDocListOf(idx.Documents)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		if docs.count() == 0 {
			_, err := io.WriteString(w, "[]\n}\n")
			return err
		}
		io.WriteString(w, "[\n")
		if err := docs.writeTo(w, "    "); err != nil {
			return err
		}
		_, err := io.WriteString(w, "  ]\n}\n")
		return err
	})
}
