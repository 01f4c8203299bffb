package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/structured"
	"github.com/llsum/llsum/internal/ui"
	"github.com/llsum/llsum/pipeline"
	sumz "github.com/llsum/llsum/summarize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// runOptions are the flags of `llsum run`.
type runOptions struct {
	Out          string
	Format       string
	Include      []string
	Exclude      []string
	Jobs         int
	Stdout       bool
	MaxNewTokens int
	Extract      extractFlags
	Backend      backendFlags
	Style        string
	PromptFile   string
	Lang         string
	ChunkOverlap int
	Digest       string
	Schema       string
	Citations    bool

	Force     bool
	Prune     bool
	Grace     time.Duration
	Wait      bool
	Shard     string
	Shards    int
	LogFormat string
	Index     string

	// Set by Finalize.
	shard       pipeline.Shard
	instruction string
	schema      *structured.Schema
}

// AddFlags registers run's flags.
func (o *runOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Out, "out", "o", "summaries", "output folder (mirrors the inputs' relative paths)")
	choiceFlag(f, &o.Format, "format", "md,json", []string{"md", "json", "md,json"}, func(s string) bool { _, _, ok := formatNames(s); return ok }, "output formats")
	f.StringArrayVar(&o.Include, "include", nil, "only summarize files matching this glob (repeatable; ** spans folders)")
	f.StringArrayVar(&o.Exclude, "exclude", nil, "skip files and folders matching this glob (repeatable)")
	f.IntVarP(&o.Jobs, "jobs", "j", runtime.NumCPU(), "documents in flight")
	f.BoolVar(&o.Stdout, "stdout", false, "also print each summary's Markdown on stdout")
	f.IntVar(&o.MaxNewTokens, "max-new-tokens", 512, "longest summary, in tokens")
	o.Extract.AddFlags(f)
	o.Backend.AddFlags(f)
	choiceFlag(f, &o.Style, "style", "brief", sumz.Styles(), nil, "summary style")
	f.StringVar(&o.PromptFile, "prompt-file", "", "file holding a custom instruction that replaces the style's")
	f.StringVar(&o.Lang, "lang", "auto", "language to write in: auto (the document's own), en, zh, de, …")
	f.IntVar(&o.ChunkOverlap, "chunk-overlap", 0, "tokens each chunk of a long document repeats from the previous one")
	f.StringVar(&o.Schema, "schema", "", "JSON Schema FILE: every summary is one JSON value valid against it (onnx and openai backends)")
	f.BoolVar(&o.Citations, "citations", true, "cite pages as [p. 3–5] after each statement (--citations=false: none)")
	f.StringVar(&o.Digest, "digest", "", "after all documents, write one digest of their summaries to FILE.md (and FILE.json)")
	f.BoolVar(&o.Force, "force", false, "summarize every document again, even those unchanged since their last summary in --out")
	f.BoolVar(&o.Prune, "prune", false, "forget documents whose input is gone: delete their outputs and drop them from the index")
	f.DurationVar(&o.Grace, "grace", 30*time.Second, "on SIGINT/SIGTERM, time the documents in flight get to finish (a second signal aborts them)")
	f.BoolVar(&o.Wait, "wait", false, "wait for another run using --out (or the same shard) to finish, instead of failing")
	f.StringVar(&o.Shard, "shard", "", "process only shard I/N of the documents (stable hash of the relative path), e.g. 0/3; auto: the shard a Kubernetes Indexed Job or Slurm array assigns")
	f.IntVar(&o.Shards, "shards", 0, "number of shards for --shard auto (Kubernetes: the Job's completions; default LLSUM_SHARDS)")
	choiceFlag(f, &o.LogFormat, "log-format", "text", []string{"text", "json"}, nil, "log format on stderr: text (a progress bar on a terminal) or json (one JSON object per line)")
	choiceFlag(f, &o.Index, "index", pipeline.IndexJSON, pipeline.IndexFormats, nil, "run index to write: json (OUT/index.json), jsonl (OUT/index.jsonl, one document a line) or none")
}

// finalizeShard resolves --shard (I/N, or auto from the scheduler's
// environment read through getenv) and --shards.
func (o *runOptions) finalizeShard(getenv func(string) string) error {
	if o.Shards < 0 {
		return usagef("--shards must be positive")
	}
	switch o.Shard {
	case "":
		if o.Shards > 0 {
			return usagef("--shards needs --shard auto")
		}
		return nil
	case "auto":
		n := o.Shards
		if n == 0 {
			var err error
			if n, err = envconfig.Shards(); err != nil {
				return usagef("--shard auto: %w", err)
			}
		}
		sh, err := pipeline.ShardFromEnv(getenv, n)
		if err != nil {
			return usagef("--shard auto: %w", err)
		}
		o.shard = sh
		return nil
	}
	if o.Shards > 0 {
		return usagef("--shards needs --shard auto (--shard %s gives the count)", o.Shard)
	}
	sh, err := pipeline.ParseShard(o.Shard)
	if err != nil {
		return usagef("--shard: %w", err)
	}
	o.shard = sh
	return nil
}

// Finalize checks what the flag types cannot: ranges, the shard, the
// prompt file and the backend's flag combinations.
func (o *runOptions) Finalize() error {
	if o.Grace < 0 {
		return usagef("--grace must not be negative")
	}
	if err := o.finalizeShard(os.Getenv); err != nil {
		return err
	}
	if o.Jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	if o.MaxNewTokens < 1 {
		return usagef("--max-new-tokens must be at least 1")
	}
	if o.ChunkOverlap < 0 {
		return usagef("--chunk-overlap must not be negative")
	}
	if o.PromptFile != "" {
		b, err := os.ReadFile(o.PromptFile)
		if err != nil {
			return usagef("--prompt-file: %w", err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return usagef("--prompt-file %s is empty", o.PromptFile)
		}
		o.instruction = strings.TrimSpace(string(b))
	}
	if err := o.Backend.Finalize(); err != nil {
		return err
	}
	return o.finalizeSchema()
}

func newRunCmd(g *globalOptions) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run [flags] PATH...",
		Short: "Summarize documents (files or folders, walked recursively)",
		Long: `Summarize every .pdf, .txt and .md file (case-insensitive) under the given
files and folders. Folders are walked recursively; hidden files and folders
and the output folder are skipped; symbolic links are followed, loops are not.

Each document gets OUT/REL.md and/or OUT/REL.json, where REL is its path
relative to the folder it was found in (docs/a/b.pdf → OUT/a/b.pdf.md), and
OUT/index.json lists every document with its status. Outputs are written to a
temporary file and renamed, so none is ever half-written.

Glob patterns (--include, --exclude) without a slash match the file name,
with a slash the path relative to the input folder; ** spans folders;
matching ignores case.

On a terminal a progress bar is drawn on stderr; otherwise one line per
document is logged. Errors name the file and the cause, and the run goes on
with the other documents.

Runs are incremental: a document whose content (SHA-256), model and
summary parameters are unchanged since its last summary in --out is skipped
(--force redoes it); a renamed or copied document reuses its summary;
documents whose input is gone are reported (--prune deletes their outputs).
The state lives in OUT/.llsum/. Only one run may use an output folder at a
time (OUT/.llsum/lock; --wait waits). On SIGINT/SIGTERM no new document
starts and those in flight get --grace to finish; the next run resumes.`,
		Example: `  llsum run ./docs
  llsum run --out digests --format md --exclude 'drafts/**' ./docs
  llsum run -j 1 --stdout notes.md
  llsum run --log-format json --out /srv/digests /srv/docs   # from cron
  llsum run --shard 0/3 --out /shared/digests /shared/docs   # then: llsum index merge /shared/digests`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("run needs at least one file or folder")
			}
			return nil
		},
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runRun is `llsum run`.
func runRun(ctx context.Context, g *globalOptions, opts runOptions, args []string) error {
	g.jsonLog = opts.LogFormat == "json"
	ex := opts.Extract.options(opts.Jobs)
	cfg := pipeline.Config{
		Inputs:   args,
		OutDir:   opts.Out,
		Include:  opts.Include,
		Exclude:  opts.Exclude,
		Jobs:     opts.Jobs,
		Version:  currentVersion(),
		Extract:  ex,
		Describe: describe,
		Force:    opts.Force,
		Prune:    opts.Prune,
		Grace:    opts.Grace,
		Wait:     opts.Wait,
		Abort:    abortFrom(ctx),
		Shard:    opts.shard,
		Index:    opts.Index,
		Params: pipeline.Parameters{
			MaxNewTokens: opts.MaxNewTokens,
			Context:      opts.Backend.Context,
			PDFEngine:    ex.PDFEngine,
			StripHeaders: ex.StripHeaders,
			Sampling:     opts.Backend.Sampling,
			Style:        opts.Style,
			Lang:         opts.Lang,
			ChunkOverlap: opts.ChunkOverlap,
			Instruction:  opts.instruction,
		},
	}
	schemaParams(&cfg.Params, opts)
	cfg.Markdown, cfg.JSON, _ = formatNames(opts.Format)
	if opts.Stdout {
		cfg.Stdout = g.stdout
	}

	s, err := guardSignals(g, func() (infer.Summarizer, error) { return opts.Backend.open(ctx, g) })
	if err != nil {
		return err
	}
	defer s.Close()

	cfg.Observer = newObserver(g, opts.LogFormat)
	rep, err := pipeline.Run(ctx, cfg, s)
	if err != nil {
		// The run could not start: a configuration error, unless an
		// interrupt ended the wait for the output folder (--wait): 130.
		if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
			err = configError(err)
		}
		if g.jsonLog {
			// The log stays JSON lines: the error is its last line.
			ui.WriteJSONError(g.stderr, errors.New(describe(err)))
			return reported(err)
		}
		return err
	}
	if opts.Digest != "" && !rep.Interrupted && rep.Fatal == nil && ctx.Err() == nil {
		if err := writeDigest(ctx, g, s, cfg, opts.Digest); err != nil {
			if outcome := exitFor(ctx, rep); outcome != nil {
				return &messageError{msg: err, class: outcome}
			}
			return err
		}
	}
	if outcome := exitFor(ctx, rep); outcome != nil {
		return reported(outcome)
	}
	return nil
}

// writeDigest writes --digest and says where.
func writeDigest(ctx context.Context, g *globalOptions, s infer.Summarizer, cfg pipeline.Config, file string) error {
	d, err := pipeline.WriteDigest(ctx, s, cfg, file)
	if err != nil {
		return err
	}
	if !g.Quiet {
		md, js := pipeline.DigestPaths(file)
		fmt.Fprintf(g.stderr, "llsum: digest of %d documents: %s, %s\n", len(d.Documents), md, js)
	}
	return nil
}

// exitFor is the outcome of a run as an error for exitCode: interrupted,
// stopped or with inputs missing, with documents failed, or nil. The
// report has been logged already.
func exitFor(ctx context.Context, rep *pipeline.Report) error {
	switch {
	case rep.Interrupted || ctx.Err() != nil:
		return context.Canceled
	case rep.Fatal != nil:
		return configError(rep.Fatal)
	case len(rep.InputErrors) > 0:
		return configError(errors.Join(rep.InputErrors...))
	case rep.Index.Counts.Failed > 0:
		return errDocumentsFailed
	}
	return nil
}

// newObserver picks the progress display: JSON lines when asked, else a
// bar on a terminal, lines otherwise.
func newObserver(g *globalOptions, format string) pipeline.Observer {
	lo := ui.LogOptions{Quiet: g.Quiet, Verbose: g.Verbose, Describe: describe}
	if format == "json" {
		return ui.NewJSONObserver(g.stderr, lo)
	}
	if !g.Quiet && isTerminal(g.stderr) && !envconfig.NoProgress() {
		return ui.NewBarObserver(g.stderr, lo)
	}
	return ui.NewLineObserver(g.stderr, lo)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
