package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/llsum/llsum/internal/statedb"
)

// RunInfo is one run as the state database records it.
type RunInfo struct {
	ID       int64     `json:"id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Shard    string    `json:"shard,omitempty"`
	// Status: running (or killed, until the next run says so: no finish
	// recorded), killed, complete, interrupted, failed (a fatal error),
	// migrated (state.json imported), merged (a shard's database merged by
	// llsum index merge).
	Status string   `json:"status"`
	Counts Counts   `json:"counts"`
	Model  string   `json:"model,omitempty"`
	Params string   `json:"params_key,omitempty"`
	Errors []string `json:"errors,omitempty"`
}

// DocState is a document's row: its last status with what made its
// current outputs.
type DocState struct {
	DocResult
	Out string `json:"out"`
	// Model and Params identify what made the outputs (empty without).
	Model  string    `json:"model,omitempty"`
	Params string    `json:"params_key,omitempty"`
	Done   time.Time `json:"summarized,omitzero"`
	// Run is the last run that met the document; Changed the run in which
	// its status or outputs last changed.
	Run     int64 `json:"run"`
	Changed int64 `json:"changed"`
	// Stale says why the outputs are not current, if they are not.
	Stale string `json:"stale,omitempty"`
}

// ErrNoState is returned by the queries when the output folder has no
// state database.
var ErrNoState = errors.New("no state database")

// openQuery opens the state database of outDir for a query.
func openQuery(ctx context.Context, outDir string, sh Shard) (*statedb.DB, error) {
	p := StatePath(outDir, sh)
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, jerr := os.Stat(filepath.Join(outDir, StateDir, "state"+sh.suffix()+".json")); jerr == nil {
				return nil, fmt.Errorf("%w in %s: its state.json is from an earlier version; the next llsum run migrates it", ErrNoState, outDir)
			}
			return nil, fmt.Errorf("%w in %s (no llsum run has used it)", ErrNoState, outDir)
		}
		return nil, err
	}
	return statedb.Open(ctx, p)
}

func runInfo(r *statedb.Run) RunInfo {
	ri := RunInfo{ID: r.ID, Started: r.Started, Finished: r.Finished, Shard: r.Shard, Status: r.Status,
		Counts: Counts(r.Counts)}
	var idx Index
	if len(r.Header) > 0 && json.Unmarshal(r.Header, &idx) == nil {
		ri.Model, ri.Params, ri.Errors = modelIdentity(idx.Model), idx.Parameters.Key(), idx.Errors
		if idx.Model.Backend == "" && idx.Model.Identity == "" {
			ri.Model = ""
		}
	}
	return ri
}

func docState(d *statedb.Doc, last *RunInfo) DocState {
	s := DocState{DocResult: resultFromDoc(d), Out: d.Out, Model: d.Summary.Model, Params: d.Summary.Params,
		Done: d.Summary.Done, Run: d.Run, Changed: d.Changed}
	if len(d.Summary.Outputs) > 0 {
		s.Outputs = d.Summary.Outputs
		switch {
		case d.Status == StatusDeleted:
			s.Stale = "input gone"
		case d.Summary.SHA256 != d.SHA256:
			s.Stale = "made from other content"
		case last != nil && last.Model != "" && d.Summary.Model != last.Model:
			s.Stale = "made by another model"
		case last != nil && last.Params != "" && d.Summary.Params != last.Params:
			s.Stale = "made with other parameters"
		}
	}
	return s
}

// StatusReport is what `llsum status` shows.
type StatusReport struct {
	Database string `json:"database"`
	// LastRun is the last run (not a migration or merge), or nil.
	LastRun *RunInfo `json:"last_run"`
	// Documents counts the rows by status.
	Documents Counts `json:"documents"`
	// Failed are the documents whose last status is failed; Stale those
	// whose outputs are not current (see DocState.Stale). Each is cut at
	// the limit given; FailedTotal and StaleTotal are the whole counts.
	Failed      []DocState `json:"failed"`
	FailedTotal int        `json:"failed_total"`
	Stale       []DocState `json:"stale"`
	StaleTotal  int        `json:"stale_total"`
}

// Status reads the state of an output folder: the last run, the documents
// by status, those failed and why, and the stale outputs. limit caps the
// lists (0: no cap).
func Status(ctx context.Context, outDir string, sh Shard, limit int) (*StatusReport, error) {
	db, err := openQuery(ctx, outDir, sh)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rep := &StatusReport{Database: StatePath(outDir, sh), Failed: []DocState{}, Stale: []DocState{}}
	last, err := lastRun(ctx, db)
	if err != nil {
		return nil, err
	}
	var li *RunInfo
	if last != nil {
		ri := runInfo(last)
		li, rep.LastRun = &ri, &ri
	}
	// Counted and selected by SQLite: only the documents listed are
	// decoded.
	c, err := db.CountByStatus(ctx)
	if err != nil {
		return nil, err
	}
	rep.Documents = Counts(c)
	err = db.Docs(ctx, statedb.Filter{Status: StatusFailed}, func(d *statedb.Doc) error {
		if rep.FailedTotal++; limit == 0 || len(rep.Failed) < limit {
			rep.Failed = append(rep.Failed, docState(d, li))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	stale := &statedb.Summary{}
	if li != nil {
		stale.Model, stale.Params = li.Model, li.Params
	}
	err = db.Docs(ctx, statedb.Filter{Stale: stale}, func(d *statedb.Doc) error {
		s := docState(d, li)
		if s.Stale == "" {
			return nil
		}
		if rep.StaleTotal++; limit == 0 || len(rep.Stale) < limit {
			rep.Stale = append(rep.Stale, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// HistoryQuery selects what History reports.
type HistoryQuery struct {
	Shard Shard
	// Since keeps the runs started at or after it, and the documents
	// changed by them (zero: all).
	Since time.Time
	// Status keeps documents with this last status ("": any).
	Status string
}

// History reports the runs of an output folder since q.Since (run) and
// the documents they changed (doc): summarized, reused, failed or found
// deleted; skipped documents are not changes.
func History(ctx context.Context, outDir string, q HistoryQuery, run func(RunInfo) error, doc func(DocState) error) error {
	db, err := openQuery(ctx, outDir, q.Shard)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.Runs(ctx, q.Since)
	if err != nil {
		return err
	}
	for i := range runs {
		if err := run(runInfo(&runs[i])); err != nil {
			return err
		}
	}
	if len(runs) == 0 {
		return nil
	}
	var li *RunInfo
	if last, err := lastRun(ctx, db); err == nil && last != nil {
		ri := runInfo(last)
		li = &ri
	}
	return db.Docs(ctx, statedb.Filter{ChangedSince: runs[0].ID, Status: q.Status}, func(d *statedb.Doc) error {
		return doc(docState(d, li))
	})
}
