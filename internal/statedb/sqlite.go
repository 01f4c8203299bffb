package statedb

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
)

// schemaVersion is the database's schema; a database with another is
// refused (ErrCorrupt) rather than misread.
const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS runs(
	id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,
	shard TEXT, status TEXT NOT NULL,
	ok INTEGER, failed INTEGER, skipped INTEGER, deleted INTEGER, header TEXT);
CREATE TABLE IF NOT EXISTS docs(
	out TEXT PRIMARY KEY,
	source TEXT,
	path TEXT NOT NULL,
	size INTEGER, mtime INTEGER, sha BLOB,
	status TEXT NOT NULL, reason TEXT, error TEXT,
	pages INTEGER, chars INTEGER, warnings INTEGER, faithful INTEGER, prompt INTEGER, completion INTEGER,
	extract_ms INTEGER, summarize_ms INTEGER, total_ms INTEGER,
	sum_sha BLOB, model INTEGER, params INTEGER, outputs INTEGER NOT NULL DEFAULT 0, done INTEGER,
	run INTEGER NOT NULL, changed INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_content ON docs(coalesce(sum_sha, sha)) WHERE outputs != 0;
`

// Column notes (space: about 150 bytes a document): source is NULL when
// it equals out; sum_sha NULL when the outputs were made from sha; model
// and params are ids in names; outputs is a bit set (outJSON, outMD).
const (
	outJSON = 1
	outMD   = 2
)

const docCols = `out, source, path, size, mtime, sha, status, reason, error, pages, chars, warnings, faithful, prompt, completion,
	extract_ms, summarize_ms, total_ms, sum_sha, model, params, outputs, done, run, changed`

// DB is a Store in an SQLite database file.
type DB struct {
	db *sql.DB

	// lookup and lookupContent are prepared once (parsing the statement
	// for every document cost as much as running it).
	lookup, lookupContent *sql.Stmt

	mu    sync.Mutex
	names map[string]int64
	ids   map[int64]string
}

var _ Store = (*DB)(nil)

// Open opens (creating it when needed) the database at path. A file that is
// not a database, or has an unknown schema, is reported with ErrCorrupt.
func Open(ctx context.Context, path string) (*DB, error) {
	// soft_heap_limit asks SQLite to keep all its memory (page caches,
	// sorter) under 32 MiB, freeing cache pages beyond it.
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "cache_size(-2000)", "soft_heap_limit(33554432)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers (the workers' lookups, a query) and the writer each take a
	// connection with its own page cache (2 MB at most: lookups come in
	// key order, so a small cache serves them; 8 MB cost 36 MiB of peak
	// RSS at 1M documents and more CPU): four bound the memory the
	// database may use.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s := &DB{db: db, names: map[string]int64{}, ids: map[int64]string{}}
	if err := s.init(ctx); err != nil {
		db.Close()
		if isCorrupt(err) {
			return nil, fmt.Errorf("%w %s: %w", ErrCorrupt, path, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, osError(err))
	}
	return s, nil
}

// errSchema marks an unknown schema version.
var errSchema = errors.New("unknown schema")

// osError adds to an SQLite error the system error it stands for, so that
// callers can tell a full disk (ENOSPC) or a read-only file system (EROFS)
// from other failures, and the message names it as the system does.
func osError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case 13: // SQLITE_FULL
		return fmt.Errorf("%w (%w)", syscall.ENOSPC, err)
	case 8: // SQLITE_READONLY
		return fmt.Errorf("%w (%w)", syscall.EROFS, err)
	}
	return err
}

func isCorrupt(err error) bool {
	if errors.Is(err, errSchema) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return true
		}
	}
	return false
}

func (s *DB) init(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.db.ExecContext(ctx, `INSERT INTO meta VALUES('schema', ?)`, strconv.Itoa(schemaVersion)); err != nil {
			return err
		}
	case err != nil:
		return err
	case v != strconv.Itoa(schemaVersion):
		return fmt.Errorf("%w version %s, want %d", errSchema, v, schemaVersion)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name FROM names`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		s.names[n], s.ids[id] = id, n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if s.lookup, err = s.db.PrepareContext(ctx, `SELECT `+docCols+` FROM docs WHERE out = ?`); err != nil {
		return err
	}
	s.lookupContent, err = s.db.PrepareContext(ctx, `SELECT `+docCols+` FROM docs WHERE coalesce(sum_sha, sha) = ? AND outputs != 0 AND model = ? AND params = ? LIMIT 1`)
	return err
}

// Meta returns a value of the meta table ("" when absent).
func (s *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Close checkpoints the write-ahead log into the database and closes it.
func (s *DB) Close() error {
	s.lookup.Close()
	s.lookupContent.Close()
	_, _ = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.db.Close()
}

// nameID returns the id of an interned name, or 0 when it has none.
func (s *DB) nameID(n string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names[n]
}

func (s *DB) name(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// intern returns n's id, adding it within tx. The cache is only updated
// by the caller once tx commits (see Commit).
func (s *DB) intern(ctx context.Context, tx *sql.Tx, n string, added map[string]int64) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if id := s.nameID(n); id != 0 {
		return id, nil
	}
	if id, ok := added[n]; ok {
		return id, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO names(name) VALUES(?) ON CONFLICT(name) DO UPDATE SET name = excluded.name RETURNING id`, n).Scan(&id)
	if err != nil {
		return 0, err
	}
	added[n] = id
	return id, nil
}

func (s *DB) Lookup(ctx context.Context, out string) (*Doc, error) {
	return s.one(s.lookup.QueryContext(ctx, out))
}

func (s *DB) LookupContent(ctx context.Context, sha, model, params string) (*Doc, error) {
	m, p := s.nameID(model), s.nameID(params)
	b, err := hex.DecodeString(sha)
	if m == 0 || p == 0 || err != nil || len(b) == 0 {
		return nil, nil
	}
	return s.one(s.lookupContent.QueryContext(ctx, b, m, p))
}

func (s *DB) one(rows *sql.Rows, err error) (*Doc, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	d, err := s.scan(rows)
	if err != nil {
		return nil, err
	}
	return d, rows.Close()
}

func (s *DB) scan(rows *sql.Rows) (*Doc, error) {
	var (
		d                               Doc
		source, reason, errText         sql.NullString
		sha, sumSHA                     []byte
		model, params, outputs, doneSec sql.NullInt64
		size, mtime                     sql.NullInt64
		pages, chars, warns, faith, pt  sql.NullInt64
		ct                              sql.NullInt64
		ems, sms, tms                   sql.NullInt64
	)
	err := rows.Scan(&d.Out, &source, &d.Path, &size, &mtime, &sha, &d.Status, &reason, &errText,
		&pages, &chars, &warns, &faith, &pt, &ct, &ems, &sms, &tms, &sumSHA, &model, &params, &outputs, &doneSec, &d.Run, &d.Changed)
	if err != nil {
		return nil, err
	}
	d.Source = d.Out
	if source.Valid {
		d.Source = source.String
	}
	d.Size, d.MTime = size.Int64, mtime.Int64
	d.SHA256 = hex.EncodeToString(sha)
	d.Reason, d.Error = reason.String, errText.String
	d.Pages, d.Characters, d.Warnings, d.Faithfulness = int(pages.Int64), int(chars.Int64), int(warns.Int64), int(faith.Int64)
	d.PromptTokens, d.CompletionTokens, d.HasTokens = int(pt.Int64), int(ct.Int64), pt.Valid
	d.ExtractMS, d.SummarizeMS, d.TotalMS = ems.Int64, sms.Int64, tms.Int64
	if outputs.Int64 != 0 {
		d.Summary.SHA256 = d.SHA256
		if sumSHA != nil {
			d.Summary.SHA256 = hex.EncodeToString(sumSHA)
		}
		d.Summary.Model, d.Summary.Params = s.name(model.Int64), s.name(params.Int64)
		if outputs.Int64&outJSON != 0 {
			d.Summary.Outputs = append(d.Summary.Outputs, d.Out+".json")
		}
		if outputs.Int64&outMD != 0 {
			d.Summary.Outputs = append(d.Summary.Outputs, d.Out+".md")
		}
		if doneSec.Int64 != 0 {
			d.Summary.Done = time.Unix(doneSec.Int64, 0).UTC()
		}
	}
	return &d, nil
}

func (s *DB) BeginRun(ctx context.Context, r Run) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("state database: begin run: %w", osError(err))
	}
	defer tx.Rollback()
	var id int64
	_, err = tx.ExecContext(ctx, `UPDATE runs SET status = ? WHERE status = ?`, RunKilled, RunRunning)
	if err == nil {
		err = tx.QueryRowContext(ctx, `INSERT INTO runs(started, shard, status, header) VALUES(?, ?, ?, ?) RETURNING id`,
			r.Started.UnixNano(), r.Shard, nonEmpty(r.Status, RunRunning), nullBytes(r.Header)).Scan(&id)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, fmt.Errorf("state database: begin run: %w", osError(err))
	}
	return id, nil
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// The upserts. A document with outputs replaces the whole row; one without
// keeps its summary fields (freezing sum_sha before sha changes). changed
// moves to this run unless a skip follows an ok or a skip.
const (
	upsertFull = `INSERT INTO docs(` + docCols + `) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(out) DO UPDATE SET source=excluded.source, path=excluded.path, size=excluded.size, mtime=excluded.mtime,
	sha=excluded.sha, status=excluded.status, reason=excluded.reason, error=excluded.error, pages=excluded.pages,
	chars=excluded.chars, warnings=excluded.warnings, faithful=excluded.faithful, prompt=excluded.prompt, completion=excluded.completion,
	extract_ms=excluded.extract_ms, summarize_ms=excluded.summarize_ms, total_ms=excluded.total_ms,
	sum_sha=excluded.sum_sha, model=excluded.model, params=excluded.params, outputs=excluded.outputs, done=excluded.done,
	run=excluded.run, changed=` + changedExpr
	upsertMet = `INSERT INTO docs(` + docCols + `) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,0,NULL,?,?)
ON CONFLICT(out) DO UPDATE SET source=excluded.source, path=excluded.path, size=excluded.size, mtime=excluded.mtime,
	sha=excluded.sha, status=excluded.status, reason=excluded.reason, error=excluded.error, pages=excluded.pages,
	chars=excluded.chars, warnings=excluded.warnings, faithful=excluded.faithful, prompt=excluded.prompt, completion=excluded.completion,
	extract_ms=excluded.extract_ms, summarize_ms=excluded.summarize_ms, total_ms=excluded.total_ms,
	sum_sha=CASE WHEN docs.outputs = 0 OR coalesce(docs.sum_sha, docs.sha) IS excluded.sha THEN NULL ELSE coalesce(docs.sum_sha, docs.sha) END,
	run=excluded.run, changed=` + changedExpr
	changedExpr = `CASE WHEN excluded.status = 'skipped' AND docs.status IN ('ok', 'skipped')
	OR excluded.status = 'deleted' AND docs.status = 'deleted' THEN docs.changed ELSE excluded.changed END`
	updateRun = `UPDATE runs SET finished = ?, status = ?, ok = ?, failed = ?, skipped = ?, deleted = ?, header = coalesce(?, header) WHERE id = ?`
)

func (s *DB) Commit(ctx context.Context, run Run, docs []Doc) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state database: %w", err)
	}
	added := map[string]int64{}
	if err := s.commit(ctx, tx, run, docs, added); err != nil {
		tx.Rollback()
		return fmt.Errorf("state database: %w", osError(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state database: commit: %w", osError(err))
	}
	s.mu.Lock()
	for n, id := range added {
		s.names[n], s.ids[id] = id, n
	}
	s.mu.Unlock()
	return nil
}

func (s *DB) commit(ctx context.Context, tx *sql.Tx, run Run, docs []Doc, added map[string]int64) error {
	full, err := tx.PrepareContext(ctx, upsertFull)
	if err != nil {
		return err
	}
	defer full.Close()
	met, err := tx.PrepareContext(ctx, upsertMet)
	if err != nil {
		return err
	}
	defer met.Close()
	for i := range docs {
		d := &docs[i]
		var source any
		if d.Source != d.Out {
			source = d.Source
		}
		sha, err := hexOrNil(d.SHA256)
		if err != nil {
			return fmt.Errorf("%s: sha256: %w", d.Out, err)
		}
		var pt, ct any
		if d.HasTokens {
			pt, ct = d.PromptTokens, d.CompletionTokens
		}
		args := []any{d.Out, source, d.Path, d.Size, d.MTime, sha, d.Status, nullString(d.Reason), nullString(d.Error),
			d.Pages, d.Characters, d.Warnings, d.Faithfulness, pt, ct, d.ExtractMS, d.SummarizeMS, d.TotalMS}
		if len(d.Summary.Outputs) == 0 {
			if _, err := met.ExecContext(ctx, append(args, d.Run, d.Changed)...); err != nil {
				return fmt.Errorf("%s: %w", d.Out, err)
			}
			continue
		}
		var sumSHA any
		if d.Summary.SHA256 != d.SHA256 {
			if sumSHA, err = hexOrNil(d.Summary.SHA256); err != nil {
				return fmt.Errorf("%s: sha256: %w", d.Out, err)
			}
		}
		model, err := s.intern(ctx, tx, d.Summary.Model, added)
		if err != nil {
			return err
		}
		params, err := s.intern(ctx, tx, d.Summary.Params, added)
		if err != nil {
			return err
		}
		var outs int64
		for _, o := range d.Summary.Outputs {
			switch o {
			case d.Out + ".json":
				outs |= outJSON
			case d.Out + ".md":
				outs |= outMD
			default:
				return fmt.Errorf("%s: output %q is not one of the document's", d.Out, o)
			}
		}
		var done any
		if !d.Summary.Done.IsZero() {
			done = d.Summary.Done.Unix()
		}
		if _, err := full.ExecContext(ctx, append(args, sumSHA, model, params, outs, done, d.Run, d.Changed)...); err != nil {
			return fmt.Errorf("%s: %w", d.Out, err)
		}
	}
	if run.ID != 0 {
		var fin any
		if !run.Finished.IsZero() {
			fin = run.Finished.UnixNano()
		}
		c := run.Counts
		if _, err := tx.ExecContext(ctx, updateRun, fin, nonEmpty(run.Status, RunRunning), c.OK, c.Failed, c.Skipped, c.Deleted, nullBytes(run.Header), run.ID); err != nil {
			return fmt.Errorf("run %d: %w", run.ID, err)
		}
	}
	return nil
}

func hexOrNil(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	return hex.DecodeString(s)
}

func (s *DB) Delete(ctx context.Context, outs []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state database: %w", err)
	}
	defer tx.Rollback()
	for _, o := range outs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM docs WHERE out = ?`, o); err != nil {
			return fmt.Errorf("state database: delete %s: %w", o, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state database: commit: %w", err)
	}
	return nil
}

func (s *DB) Unmet(ctx context.Context, run int64, fn func(*Doc) error) error {
	return s.each(ctx, `SELECT `+docCols+` FROM docs WHERE run != ? ORDER BY out`, []any{run}, fn)
}

func (s *DB) Docs(ctx context.Context, f Filter, fn func(*Doc) error) error {
	var where []string
	var args []any
	if f.Run != 0 {
		where, args = append(where, "run = ?"), append(args, f.Run)
	}
	if f.ChangedSince != 0 {
		where, args = append(where, "changed >= ?"), append(args, f.ChangedSince)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Stale != nil {
		// Outputs made from other content, or by another model or with
		// other parameters, or whose input is gone.
		m, p := s.nameID(f.Stale.Model), s.nameID(f.Stale.Params)
		where = append(where, "outputs != 0 AND (sum_sha IS NOT NULL OR model != ? OR params != ? OR status = 'deleted')")
		args = append(args, m, p)
	}
	q := `SELECT ` + docCols + ` FROM docs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return s.each(ctx, q+" ORDER BY path, out", args, fn)
}

func (s *DB) each(ctx context.Context, q string, args []any, fn func(*Doc) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("state database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := s.scan(rows)
		if err != nil {
			return fmt.Errorf("state database: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state database: %w", err)
	}
	return nil
}

func (s *DB) Runs(ctx context.Context, since time.Time) ([]Run, error) {
	var from int64
	if !since.IsZero() {
		from = since.UnixNano()
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, started, finished, shard, status, ok, failed, skipped, deleted, header FROM runs WHERE started >= ? ORDER BY id`, from)
	if err != nil {
		return nil, fmt.Errorf("state database: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var started int64
		var fin, ok, failed, skipped, deleted sql.NullInt64
		var shard, header sql.NullString
		if err := rows.Scan(&r.ID, &started, &fin, &shard, &r.Status, &ok, &failed, &skipped, &deleted, &header); err != nil {
			return nil, fmt.Errorf("state database: %w", err)
		}
		r.Started = time.Unix(0, started).UTC()
		if fin.Valid {
			r.Finished = time.Unix(0, fin.Int64).UTC()
		}
		r.Shard = shard.String
		r.Counts = Counts{int(ok.Int64), int(failed.Int64), int(skipped.Int64), int(deleted.Int64)}
		if header.Valid {
			r.Header = []byte(header.String)
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// SetMeta sets a value of the meta table within a Commit-like transaction
// of its own.
func (s *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Import records a run (a migration or a merge) with its documents and sets
// the meta key to value, all in one transaction: after a crash either all
// of it is there or none. docs calls add for each document; Run and
// Changed of each are set to the new run's id.
func (s *DB) Import(ctx context.Context, run Run, key, value string, docs func(add func(Doc) error) error) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("state database: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO runs(started, shard, status, header) VALUES(?, ?, ?, ?) RETURNING id`,
		run.Started.UnixNano(), run.Shard, nonEmpty(run.Status, RunMigrated), nullBytes(run.Header)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("state database: import: %w", err)
	}
	run.ID = id
	added := map[string]int64{}
	var batch []Doc
	flush := func() error {
		err := s.commit(ctx, tx, Run{}, batch, added)
		batch = batch[:0]
		return err
	}
	err = docs(func(d Doc) error {
		d.Run, d.Changed = id, id
		switch d.Status {
		case StatusOK:
			run.Counts.OK++
		case StatusFailed:
			run.Counts.Failed++
		case StatusSkipped:
			run.Counts.Skipped++
		case StatusDeleted:
			run.Counts.Deleted++
		}
		if batch = append(batch, d); len(batch) == 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		run.Finished = time.Now()
		err = s.commit(ctx, tx, run, nil, added)
	}
	if err == nil && key != "" {
		_, err = tx.ExecContext(ctx, `INSERT INTO meta VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	}
	if err != nil {
		return 0, fmt.Errorf("state database: import: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("state database: commit: %w", err)
	}
	s.mu.Lock()
	for n, nid := range added {
		s.names[n], s.ids[nid] = nid, n
	}
	s.mu.Unlock()
	return id, nil
}

func (s *DB) CountByStatus(ctx context.Context) (Counts, error) {
	var c Counts
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM docs GROUP BY status`)
	if err != nil {
		return c, fmt.Errorf("state database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return c, fmt.Errorf("state database: %w", err)
		}
		switch st {
		case StatusOK:
			c.OK = n
		case StatusFailed:
			c.Failed = n
		case StatusSkipped:
			c.Skipped = n
		case StatusDeleted:
			c.Deleted = n
		}
	}
	return c, rows.Err()
}
