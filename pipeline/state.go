package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/statedb"
)

// StateDir is the folder, inside the output folder, where llsum keeps its
// incremental state and its locks.
const StateDir = ".llsum"

// StatePath is the state database of a run: OUT/.llsum/state.db, or
// state-I-of-N.db for a shard.
func StatePath(outDir string, sh Shard) string {
	return filepath.Join(outDir, StateDir, "state"+sh.suffix()+".db")
}

// modelIdentity is the model's part of the incremental key.
func modelIdentity(info infer.ModelInfo) string {
	if info.Identity != "" {
		return info.Identity
	}
	return info.Backend + ":" + info.Model + "@" + info.Endpoint
}

// openState opens the run's state database. One that cannot be read is
// moved aside (to NAME.bad, kept for inspection) and reported through warn,
// and the run starts a new one: the per-document JSON outputs still let
// unchanged documents be skipped. A state.json left by an earlier version is
// migrated into it (see migrateStateJSON).
func openState(ctx context.Context, outDir string, sh Shard, warn func(error)) (statedb.Store, error) {
	p := StatePath(outDir, sh)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("state database: %w", err)
	}
	db, err := statedb.Open(ctx, p)
	if errors.Is(err, statedb.ErrCorrupt) {
		bad := p + ".bad"
		for _, sfx := range []string{"", "-wal", "-shm"} {
			os.Remove(bad + sfx)
			if rerr := os.Rename(p+sfx, bad+sfx); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w (could not move it aside: %w)", err, rerr)
			}
		}
		warn(fmt.Errorf("%w (moved to %s; starting a new one)", err, filepath.Base(bad)))
		db, err = statedb.Open(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	if err := migrateStateJSON(ctx, db, filepath.Join(outDir, StateDir, "state"+sh.suffix()+".json"), sh, warn); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migratedKey is the meta key set, in the migration's transaction, once a
// state.json has been imported.
const migratedKey = "migrated_state_json"

// migrateStateJSON imports the state file of earlier versions
// (state.json, schema 1) into db, in one transaction, and removes the file
// once that transaction has committed: a crash before leaves the file for
// the next run, a crash after leaves the key that says it is done. A file
// that cannot be read is moved aside to NAME.bad with a warning, as it
// always was.
func migrateStateJSON(ctx context.Context, db statedb.Store, path string, sh Shard, warn func(error)) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate state %s: %w", path, err)
	}
	defer f.Close()
	if v, err := db.Meta(ctx, migratedKey); err != nil {
		return fmt.Errorf("migrate state %s: %w", path, err)
	} else if v != "" {
		f.Close()
		return removeMigrated(path)
	}
	fi, _ := f.Stat()
	_, err = db.Import(ctx, statedb.Run{Started: time.Now(), Shard: sh.String(), Status: statedb.RunMigrated},
		migratedKey, filepath.Base(path), func(add func(statedb.Doc) error) error {
			return decodeState(f, func(rec *stateRecord) error {
				done := rec.Done
				if done.IsZero() && fi != nil {
					done = fi.ModTime()
				}
				return add(statedb.Doc{Out: rec.Out, Source: rec.Source, Path: rec.Path, SHA256: rec.SHA256, Size: rec.Bytes,
					Status: StatusOK, Summary: statedb.Summary{SHA256: rec.SHA256, Model: rec.Model, Params: rec.Params,
						Outputs: rec.Outputs, Done: done}})
			})
		})
	var de *decodeError
	if errors.As(err, &de) {
		f.Close()
		bad := path + ".bad"
		if rerr := os.Rename(path, bad); rerr == nil {
			warn(fmt.Errorf("%w %s (moved to %s; not migrated): %w", errCorruptState, path, filepath.Base(bad), de.err))
			return nil
		}
		warn(fmt.Errorf("%w %s (not migrated): %w", errCorruptState, path, de.err))
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate state %s: %w", path, err)
	}
	f.Close()
	return removeMigrated(path)
}

func removeMigrated(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("migrate state: remove %s: %w", path, err)
	}
	return nil
}

// stateVersion is the version of the state.json schema migrated.
const stateVersion = 1

// stateRecord is one document of a state.json written by earlier versions.
type stateRecord struct {
	Out     string    `json:"out"`
	Source  string    `json:"source"`
	Path    string    `json:"path"`
	SHA256  string    `json:"sha256"`
	Bytes   int64     `json:"bytes"`
	Model   string    `json:"model"`
	Params  string    `json:"params"`
	Outputs []string  `json:"outputs"`
	Done    time.Time `json:"done"`
}

// errCorruptState marks a state file that cannot be read back.
var errCorruptState = errors.New("corrupt state file")

// decodeError is a state.json that cannot be decoded (as opposed to a
// failure to store what was decoded).
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }

// decodeState reads a state.json record by record (a file of a million
// documents is never in memory whole), checks each record and hands it to
// fn.
func decodeState(r io.Reader, fn func(*stateRecord) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	bad := func(err error) error { return &decodeError{err} }
	if err := expectDelim(dec, '{'); err != nil {
		return bad(err)
	}
	version, n := 0, 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		switch tok {
		case "schema_version":
			if err := dec.Decode(&version); err != nil {
				return bad(err)
			}
			if version != stateVersion {
				return bad(fmt.Errorf("schema version %d, want %d", version, stateVersion))
			}
		case "documents":
			if version != stateVersion {
				return bad(errors.New("no schema version before the documents"))
			}
			if err := expectDelim(dec, '['); err != nil {
				return bad(err)
			}
			for dec.More() {
				var rec stateRecord
				if err := dec.Decode(&rec); err != nil {
					return bad(err)
				}
				if !validRecord(&rec) {
					return bad(fmt.Errorf("record %d (%q) not understood", n, rec.Out))
				}
				n++
				if err := fn(&rec); err != nil {
					return err
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return bad(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return bad(err)
	}
	if version != stateVersion {
		return bad(errors.New("no schema version"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(errors.New("data after the state object"))
	}
	return nil
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

// docFromResult is the state row of a document's result in run.
func docFromResult(res *DocResult, run int64) statedb.Doc {
	d := statedb.Doc{Out: res.out, Source: res.Source, Path: res.Path, Size: res.Bytes, MTime: res.mtime,
		SHA256: res.SHA256, Status: res.Status, Reason: res.Reason, Error: res.Error,
		Pages: res.Pages, Characters: res.Characters, Warnings: res.Warnings, Faithfulness: res.Faithfulness,
		ExtractMS: res.Timings.ExtractMS, SummarizeMS: res.Timings.SummarizeMS, TotalMS: res.Timings.TotalMS,
		Run: run, Changed: run}
	if res.Tokens != nil {
		d.PromptTokens, d.CompletionTokens, d.HasTokens = res.Tokens.Prompt, res.Tokens.Completion, true
	}
	if res.sum != nil {
		d.Summary = *res.sum
	}
	return d
}

// resultFromDoc is a state row as a document of the index.
func resultFromDoc(d *statedb.Doc) DocResult {
	if d.Status == StatusDeleted {
		// As the run reports it: what is known of the outputs left.
		sha := d.Summary.SHA256
		if sha == "" {
			sha = d.SHA256
		}
		return DocResult{Source: d.Source, Path: d.Path, Outputs: d.Summary.Outputs, Status: d.Status,
			Reason: d.Reason, SHA256: sha, Bytes: d.Size}
	}
	res := DocResult{Source: d.Source, Path: d.Path, Status: d.Status, Error: d.Error, Reason: d.Reason,
		SHA256: d.SHA256, Bytes: d.Size, Pages: d.Pages, Characters: d.Characters, Warnings: d.Warnings, Faithfulness: d.Faithfulness,
		Timings: Timings{ExtractMS: d.ExtractMS, SummarizeMS: d.SummarizeMS, TotalMS: d.TotalMS}}
	switch d.Status {
	case StatusOK:
		res.Outputs = d.Summary.Outputs
	case StatusSkipped:
		if d.Reason == ReasonUnchanged {
			res.Outputs = d.Summary.Outputs
		}
	}
	if d.HasTokens {
		res.Tokens = &TokenCounts{Prompt: d.PromptTokens, Completion: d.CompletionTokens}
	}
	return res
}
