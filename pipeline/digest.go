package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/atomicfile"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/statedb"
	"github.com/llsum/llsum/internal/textutil"
	sumz "github.com/llsum/llsum/summarize"
)

// DigestJSON is the JSON written beside a digest's Markdown (--digest).
type DigestJSON struct {
	SchemaVersion int             `json:"schema_version"`
	Created       time.Time       `json:"created"`
	Model         infer.ModelInfo `json:"model"`
	Parameters    Parameters      `json:"parameters"`
	Documents     []DigestSource  `json:"documents"`
	Summary       string          `json:"summary"`
	// Structured is the digest as a JSON value valid against --schema.
	Structured json.RawMessage `json:"structured,omitempty"`
	Levels     []sumz.Level    `json:"levels,omitempty"`
	Tokens     TokenCounts     `json:"tokens"`
}

// DigestSource is one document a digest was made of.
type DigestSource struct {
	Source  string `json:"source"`
	Summary string `json:"summary"`
}

// DigestPaths returns the Markdown and JSON paths of a digest named file:
// FILE.md and FILE.json (a .md or .json suffix of file is replaced).
func DigestPaths(file string) (md, js string) {
	base := strings.TrimSuffix(strings.TrimSuffix(file, ".md"), ".json")
	return base + ".md", base + ".json"
}

// WriteDigest makes one digest over the current summaries of the run's
// documents (those summarized now and those unchanged since an earlier run),
// in source order, reduced like a long document's chunks, and writes it as
// Markdown and JSON (DigestPaths(file)) atomically.
func WriteDigest(ctx context.Context, s infer.Summarizer, cfg Config, file string) (*DigestJSON, error) {
	docs, err := currentSummaries(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, errors.New("digest: no document was summarized")
	}
	in := make([]sumz.DocSummary, len(docs))
	for i, d := range docs {
		in[i] = sumz.DocSummary{Path: d.Source, Summary: d.Summary}
	}
	out, err := sumz.Digest(ctx, s, in, summaryOptions(cfg.Params))
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	summary, value, err := structuredOutput(cfg.Params, out.Summary)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	dj := &DigestJSON{
		SchemaVersion: SchemaVersion,
		Created:       time.Now().UTC().Truncate(time.Second),
		Model:         s.Info(),
		Parameters:    cfg.Params,
		Documents:     docs,
		Summary:       summary,
		Structured:    value,
		Levels:        out.Levels,
		Tokens:        TokenCounts{Prompt: out.PromptTokens, Completion: out.CompletionTokens},
	}
	mdPath, jsPath := DigestPaths(file)
	data, err := json.MarshalIndent(dj, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(jsPath, append(data, '\n'), 0o644); err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("write digest %s: %w", jsPath, err))
	}
	if err := atomicfile.WriteFile(mdPath, []byte(renderDigest(dj)), 0o644); err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("write digest %s: %w", mdPath, err))
	}
	return dj, nil
}

func renderDigest(d *DigestJSON) string {
	var b strings.Builder
	b.WriteString("# Digest\n\n")
	fmt.Fprintf(&b, "%d %s · %s", len(d.Documents), textutil.Plural(len(d.Documents), "document", "documents"), d.Model.Backend)
	if d.Model.Model != "" {
		fmt.Fprintf(&b, " (%s)", d.Model.Model)
	}
	b.WriteString("\n\n## Summary\n\n")
	b.WriteString(nestHeadings(strings.TrimSpace(d.Summary), 3))
	b.WriteString("\n\n## Documents\n")
	for _, doc := range d.Documents {
		fmt.Fprintf(&b, "\n### %s\n\n%s\n", textutil.OneLine(doc.Source), nestHeadings(strings.TrimSpace(doc.Summary), 4))
	}
	return b.String()
}

// currentSummaries reads, for every document of the last run whose
// summary is current (ok, or skipped as unchanged), its summary from its
// JSON output (or, with --format md, from its Markdown). The documents come
// from the state database, sorted by path.
func currentSummaries(ctx context.Context, cfg Config) ([]DigestSource, error) {
	db, err := statedb.Open(ctx, StatePath(cfg.OutDir, cfg.Shard))
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	defer db.Close()
	last, err := lastRun(ctx, db)
	if err != nil || last == nil {
		return nil, fmt.Errorf("digest: no run recorded in %s (%v)", cfg.OutDir, err)
	}
	var out []DigestSource
	err = db.Docs(ctx, statedb.Filter{Run: last.ID}, func(d *statedb.Doc) error {
		if d.Status != StatusOK && d.Status != StatusSkipped {
			return nil
		}
		res := resultFromDoc(d)
		sum := readSummary(cfg.OutDir, res.Outputs)
		if sum == "" {
			return nil // skipped for want of text: nothing to digest
		}
		out = append(out, DigestSource{Source: d.Source, Summary: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return out, nil
}

// lastRun is the last real run recorded (not a migration or a merge), or
// nil.
func lastRun(ctx context.Context, db statedb.Store) (*statedb.Run, error) {
	runs, err := db.Runs(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Status != statedb.RunMigrated && runs[i].Status != statedb.RunMerged {
			return &runs[i], nil
		}
	}
	return nil, nil
}

func readSummary(outDir string, outputs []string) string {
	for _, o := range outputs {
		p := filepath.Join(outDir, filepath.FromSlash(o))
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if strings.HasSuffix(o, ".json") {
			var dj DocumentJSON
			if json.Unmarshal(data, &dj) == nil && len(dj.Structured) > 0 {
				return string(dj.Structured) // --schema: digest the values
			}
			if dj.Summary != "" {
				return dj.Summary
			}
			continue
		}
		md := string(data)
		if i := strings.Index(md, "## Summary\n\n"); i >= 0 {
			md = md[i+len("## Summary\n\n"):]
			if j := strings.Index(md, "\n## "); j >= 0 {
				md = md[:j]
			}
			return strings.TrimSpace(md)
		}
	}
	return ""
}
