package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/errclass"
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

	Force     bool
	Prune     bool
	Grace     time.Duration
	Wait      bool
	Shard     string
	LogFormat string
	Index     string
}

// AddFlags registers run's flags.
func (o *runOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Out, "out", "o", "summaries", "output folder (mirrors the inputs' relative paths)")
	f.StringVar(&o.Format, "format", "md,json", "output formats: md, json or md,json")
	f.StringArrayVar(&o.Include, "include", nil, "only summarize files matching this glob (repeatable; ** spans folders)")
	f.StringArrayVar(&o.Exclude, "exclude", nil, "skip files and folders matching this glob (repeatable)")
	f.IntVarP(&o.Jobs, "jobs", "j", runtime.NumCPU(), "documents in flight")
	f.BoolVar(&o.Stdout, "stdout", false, "also print each summary's Markdown on stdout")
	f.IntVar(&o.MaxNewTokens, "max-new-tokens", 512, "longest summary, in tokens")
	o.Extract.AddFlags(f)
	o.Backend.AddFlags(f)
	f.StringVar(&o.Style, "style", "brief", "summary style: "+strings.Join(sumz.Styles(), ", "))
	f.StringVar(&o.PromptFile, "prompt-file", "", "file holding a custom instruction that replaces the style's")
	f.StringVar(&o.Lang, "lang", "auto", "language to write in: auto (the document's own), en, zh, de, …")
	f.IntVar(&o.ChunkOverlap, "chunk-overlap", 0, "tokens each chunk of a long document repeats from the previous one")
	f.StringVar(&o.Digest, "digest", "", "after all documents, write one digest of their summaries to FILE.md (and FILE.json)")
	f.BoolVar(&o.Force, "force", false, "summarize every document again, even those unchanged since their last summary in --out")
	f.BoolVar(&o.Prune, "prune", false, "forget documents whose input is gone: delete their outputs and drop them from the index")
	f.DurationVar(&o.Grace, "grace", 30*time.Second, "on SIGINT/SIGTERM, time the documents in flight get to finish (a second signal aborts them)")
	f.BoolVar(&o.Wait, "wait", false, "wait for another run using --out (or the same shard) to finish, instead of failing")
	f.StringVar(&o.Shard, "shard", "", "process only shard I/N of the documents (stable hash of the relative path), e.g. 0/3")
	f.StringVar(&o.LogFormat, "log-format", "text", "log format on stderr: text (a progress bar on a terminal) or json (one JSON object per line)")
	f.StringVar(&o.Index, "index", pipeline.IndexJSON, "run index to write: json (OUT/index.json), jsonl (OUT/index.jsonl, one document a line) or none")
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
				return usageErrorf("run needs at least one file or folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runRun is `llsum run`.
func runRun(ctx context.Context, g *globalOptions, opts runOptions, args []string) error {
	cfg := pipeline.Config{
		Inputs:  args,
		OutDir:  opts.Out,
		Include: opts.Include,
		Exclude: opts.Exclude,
		Jobs:    opts.Jobs,
		Version: version,
	}
	for _, f := range strings.Split(opts.Format, ",") {
		switch strings.TrimSpace(strings.ToLower(f)) {
		case "md", "markdown":
			cfg.Markdown = true
		case "json":
			cfg.JSON = true
		default:
			return usageErrorf("--format %q: want md, json or md,json", opts.Format)
		}
	}
	if !slices.Contains(pipeline.IndexFormats, opts.Index) {
		return usageErrorf("--index %q: want json, jsonl or none", opts.Index)
	}
	cfg.Index = opts.Index
	if opts.Grace < 0 {
		return usageErrorf("--grace must not be negative")
	}
	cfg.Force, cfg.Prune, cfg.Grace, cfg.Wait = opts.Force, opts.Prune, opts.Grace, opts.Wait
	cfg.Abort = abortFrom(ctx)
	if opts.Shard != "" {
		sh, err := pipeline.ParseShard(opts.Shard)
		if err != nil {
			return usageErrorf("--shard: %v", err)
		}
		cfg.Shard = sh
	}
	switch opts.LogFormat {
	case "text", "json":
	default:
		return usageErrorf("--log-format %q: want text or json", opts.LogFormat)
	}
	g.jsonLog = opts.LogFormat == "json"
	if opts.Jobs < 1 {
		return usageErrorf("--jobs must be at least 1")
	}
	if opts.MaxNewTokens < 1 {
		return usageErrorf("--max-new-tokens must be at least 1")
	}
	var err error
	if cfg.Extract, err = opts.Extract.options(); err != nil {
		return err
	}
	cfg.Params = pipeline.Parameters{
		MaxNewTokens: opts.MaxNewTokens,
		Context:      opts.Backend.Context,
		PDFEngine:    cfg.Extract.PDFEngine,
		StripHeaders: cfg.Extract.StripHeaders,
		Sampling:     opts.Backend.Sampling,
		Style:        opts.Style,
		Lang:         opts.Lang,
		ChunkOverlap: opts.ChunkOverlap,
	}
	if !slices.Contains(sumz.Styles(), opts.Style) {
		return usageErrorf("--style %q: want one of %s", opts.Style, strings.Join(sumz.Styles(), ", "))
	}
	if opts.ChunkOverlap < 0 {
		return usageErrorf("--chunk-overlap must not be negative")
	}
	if opts.PromptFile != "" {
		b, err := os.ReadFile(opts.PromptFile)
		if err != nil {
			return usageErrorf("--prompt-file: %v", err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return usageErrorf("--prompt-file %s is empty", opts.PromptFile)
		}
		cfg.Params.Instruction = strings.TrimSpace(string(b))
	}
	if dir := envconfig.CacheDir(); dir != "" {
		cfg.Extract.CacheDir = filepath.Join(dir, "pdfium")
	}
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
		if opts.LogFormat == "json" {
			// The log stays JSON lines: the error is its last line.
			ui.WriteJSONError(g.stderr, err)
			return withCode(exitUsage, nil)
		}
		if errclass.IsFatal(err) {
			return withCode(exitUsage, err)
		}
		return usageErrorf("%v", err)
	}
	if opts.Digest != "" && !rep.Interrupted && rep.Fatal == nil && ctx.Err() == nil {
		if err := writeDigest(ctx, g, s, cfg, opts.Digest); err != nil {
			if code := exitFor(ctx, rep); code != nil {
				fmt.Fprintln(g.stderr, "llsum: error: "+oneLine(err.Error()))
				return code
			}
			if errclass.IsFatal(err) {
				return withCode(exitUsage, err)
			}
			return withCode(exitDocFailed, err)
		}
	}
	return exitFor(ctx, rep)
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

// oneLine folds white space, line breaks included, so a message stays on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// exitFor maps a run's report to the documented exit codes. Everything has
// already been reported on stderr, so the error carries no message.
func exitFor(ctx context.Context, rep *pipeline.Report) error {
	switch {
	case rep.Interrupted || ctx.Err() != nil:
		return withCode(exitInterrupted, nil)
	case rep.Fatal != nil || len(rep.InputErrors) > 0:
		return withCode(exitUsage, nil)
	case rep.Index.Counts.Failed > 0:
		return withCode(exitDocFailed, nil)
	}
	return nil
}

// newObserver picks the progress display: JSON lines when asked, else a
// bar on a terminal, lines otherwise.
func newObserver(g *globalOptions, format string) pipeline.Observer {
	if format == "json" {
		return ui.NewJSONObserver(g.stderr)
	}
	lo := ui.LogOptions{Quiet: g.Quiet, Verbose: g.Verbose}
	if !g.Quiet && isTerminal(g.stderr) && envconfig.Lookup("LLSUM_NO_PROGRESS") != "1" {
		return ui.NewBarObserver(g.stderr, lo)
	}
	return ui.NewLineObserver(g.stderr, lo)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// extractFlags are the text-extraction flags shared by run and extract.
type extractFlags struct {
	PDFEngine    string
	PDFPassword  string
	StripHeaders bool
	DocTimeout   time.Duration
}

// AddFlags registers the extraction flags.
func (o *extractFlags) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.PDFEngine, "pdf-engine", "auto", "PDF text engine: auto, ledongthuc or pdfium")
	f.StringVar(&o.PDFPassword, "pdf-password", "", "password for encrypted PDFs (or LLSUM_PDF_PASSWORD)")
	f.BoolVar(&o.StripHeaders, "strip-headers", false, "drop running headers and footers repeated across pages")
	f.DurationVar(&o.DocTimeout, "doc-timeout", 2*time.Minute, "time limit for extracting one document (0: none)")
}

func (o *extractFlags) options() (extract.Options, error) {
	switch o.PDFEngine {
	case "auto", "ledongthuc", "pdfium":
	default:
		return extract.Options{}, usageErrorf("--pdf-engine %q: want auto, ledongthuc or pdfium", o.PDFEngine)
	}
	pw := o.PDFPassword
	if pw == "" {
		pw = envconfig.Lookup("LLSUM_PDF_PASSWORD")
	}
	return extract.Options{
		PDFEngine:    o.PDFEngine,
		Password:     pw,
		StripHeaders: o.StripHeaders,
		Timeout:      o.DocTimeout,
	}, nil
}
