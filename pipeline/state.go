package pipeline

import (
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
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(nil), nil
	}
	if err != nil {
		return newState(nil), fmt.Errorf("read state %s: %w", path, err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil || f.SchemaVersion != stateVersion || !validRecords(f.Documents) {
		if err == nil {
			err = fmt.Errorf("schema version %d or records not understood", f.SchemaVersion)
		}
		bad := path + ".bad"
		if rerr := os.Rename(path, bad); rerr == nil {
			return newState(nil), fmt.Errorf("%w %s (moved to %s; running without state): %w", errCorruptState, path, filepath.Base(bad), err)
		}
		return newState(nil), fmt.Errorf("%w %s (running without state): %w", errCorruptState, path, err)
	}
	return newState(f.Documents), nil
}

func validRecords(rs []stateRecord) bool {
	for _, r := range rs {
		if r.Out == "" || outputRel(r.Out) != r.Out || r.SHA256 == "" {
			return false
		}
		for _, o := range r.Outputs {
			if !outputOf(r.Out, o) {
				return false
			}
		}
	}
	return true
}

// outputOf reports whether o is one of out's output files (never a path
// elsewhere: a tampered state must not make --prune delete other files).
func outputOf(out, o string) bool {
	return o == out+".md" || o == out+".json"
}

// saveState writes the records atomically, sorted by output path.
func saveState(path, shard string, records []stateRecord) error {
	sort.Slice(records, func(a, b int) bool { return records[a].Out < records[b].Out })
	f := stateFile{SchemaVersion: stateVersion, Shard: shard, Updated: time.Now().UTC(), Documents: records}
	if f.Documents == nil {
		f.Documents = []stateRecord{}
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	return nil
}

// writeIndex writes the index atomically, one document at a time (the
// documents are not marshalled into one buffer).
func writeIndex(path string, idx *Index) error {
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
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		if len(idx.Documents) == 0 {
			_, err := io.WriteString(w, "[]\n}\n")
			return err
		}
		io.WriteString(w, "[\n")
		for i := range idx.Documents {
			d, err := json.MarshalIndent(&idx.Documents[i], "    ", "  ")
			if err != nil {
				return err
			}
			io.WriteString(w, "    ")
			w.Write(d)
			if i < len(idx.Documents)-1 {
				io.WriteString(w, ",")
			}
			io.WriteString(w, "\n")
		}
		_, err := io.WriteString(w, "  ]\n}\n")
		return err
	})
}
