// Package statedb keeps llsum's run state in an embedded database: one row
// per document (keyed by its output path) and one per run. The pipeline
// reads it document by document while it walks (so memory does not grow
// with the number of documents) and writes it in batches, one transaction
// each: a process killed at any moment leaves the database as of its last
// committed batch.
//
// The store is SQLite (modernc.org/sqlite: pure Go, no cgo) in WAL mode.
// It was chosen over bbolt on figures for this access pattern (1M
// documents, bench/statedb): bbolt looks documents up ten times faster
// (1 µs against 12 µs, both far inside an incremental run's budget), but it
// reads through a memory map, so the process's resident memory grows with
// the database (+86 MiB for one pass over 1M documents), where SQLite's
// page cache keeps it flat; and SQL answers `llsum status` and `llsum
// history` (and an operator's own sqlite3 queries) without hand-made
// indexes.
package statedb

import (
	"context"
	"errors"
	"time"
)

// Statuses of a document, as in index.json.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusDeleted = "deleted"
)

// Run statuses.
const (
	RunRunning     = "running"
	RunComplete    = "complete"
	RunInterrupted = "interrupted"
	RunFailed      = "failed"
	// RunKilled is a run that never recorded its end (killed, or the
	// machine went down), as the next run finds it.
	RunKilled = "killed"
	// RunMigrated is the pseudo-run of a state.json migration.
	RunMigrated = "migrated"
	// RunMerged is the pseudo-run of a shard merge.
	RunMerged = "merged"
)

// Doc is one document's row: what the last run that met it saw (Run,
// Status, SHA256, ...) and what its current outputs were made from (the
// Summary fields; empty when it has none).
type Doc struct {
	// Out is the outputs' path relative to the output folder, without the
	// .md/.json suffix: the key.
	Out string
	// Source is the path relative to its input root; Path as reached.
	Source, Path string
	// Size in bytes and modification time (Unix nanoseconds; 0 when it
	// must not be trusted) of the input when it was last hashed.
	Size  int64
	MTime int64
	// SHA256 (hex) of the input when it was last met.
	SHA256 string
	Status string
	Reason string
	Error  string

	Pages, Characters, Warnings    int
	PromptTokens, CompletionTokens int
	// Faithfulness counts the summary's facts absent from the document.
	Faithfulness int
	// HasTokens says the token counts are known (a summary was made).
	HasTokens                       bool
	ExtractMS, SummarizeMS, TotalMS int64

	// Summary is what the outputs were made from; Summary.Outputs is empty
	// when the document has none.
	Summary Summary

	// Run is the last run that met the document; Changed the run in which
	// its status or outputs last changed.
	Run, Changed int64
}

// Summary says what made a document's outputs.
type Summary struct {
	SHA256  string
	Model   string
	Params  string
	Outputs []string
	Done    time.Time
}

// Run is one run's row.
type Run struct {
	ID       int64
	Started  time.Time
	Finished time.Time // zero while running (or when killed)
	Shard    string
	Status   string
	Counts   Counts
	// Header is the run's index header (index.json without documents), as
	// JSON.
	Header []byte
}

// Counts are a run's documents by status.
type Counts struct {
	OK, Failed, Skipped, Deleted int
}

// Filter selects documents for Docs.
type Filter struct {
	// Run keeps documents met by this run (0: all).
	Run int64
	// ChangedSince keeps documents changed by a run numbered at least this.
	ChangedSince int64
	// Status keeps documents with this status ("" any).
	Status string
	// Stale keeps documents whose outputs are not current: made from
	// other content, or with a model or parameters other than those given,
	// or whose input is gone.
	Stale *Summary
}

// Store is the state the pipeline and the status commands use.
type Store interface {
	// Lookup returns the document with this output path, or nil.
	Lookup(ctx context.Context, out string) (*Doc, error)
	// LookupContent returns a document whose outputs were made from this
	// content, model and parameters, or nil.
	LookupContent(ctx context.Context, sha, model, params string) (*Doc, error)
	// BeginRun records a run starting and returns its id. Runs still
	// marked running are marked killed: the caller holds the lock that
	// makes it the database's only run.
	BeginRun(ctx context.Context, r Run) (int64, error)
	// Commit writes a batch of documents and the run's progress in one
	// transaction. A document with Summary.Outputs empty keeps the summary
	// fields it had.
	Commit(ctx context.Context, run Run, docs []Doc) error
	// Delete removes documents.
	Delete(ctx context.Context, outs []string) error
	// Unmet calls fn for each document not met by run (and not already
	// deleted).
	Unmet(ctx context.Context, run int64, fn func(*Doc) error) error
	// Docs calls fn for the documents selected, sorted by path.
	Docs(ctx context.Context, f Filter, fn func(*Doc) error) error
	// CountByStatus counts the documents by status.
	CountByStatus(ctx context.Context) (Counts, error)
	// Runs returns the runs started at or after since, oldest first.
	Runs(ctx context.Context, since time.Time) ([]Run, error)
	// Import records a run with its documents and sets a meta key, in one
	// transaction (a migration, a merge).
	Import(ctx context.Context, run Run, key, value string, docs func(add func(Doc) error) error) (int64, error)
	// Meta returns a value set by Import ("" when absent).
	Meta(ctx context.Context, key string) (string, error)
	// Close closes the store.
	Close() error
}

// ErrCorrupt marks a database file that cannot be used (not a database,
// or a schema this version does not know).
var ErrCorrupt = errors.New("corrupt state database")
