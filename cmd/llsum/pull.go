package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/hub"
	"github.com/llsum/llsum/internal/modelstore"
	"github.com/llsum/llsum/internal/ui"
)

// pullOptions are the flags of `llsum pull`.
type pullOptions struct {
	Revision    string
	Connections int
}

// AddFlags registers pull's flags.
func (o *pullOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Revision, "revision", "main", "branch, tag or commit of the Hub repo")
	f.IntVar(&o.Connections, "connections", 8, "parallel byte-range requests per large file")
}

func newPullCmd(g *globalOptions) *cobra.Command {
	var opts pullOptions
	cmd := &cobra.Command{
		Use:   "pull NAME | ORG/REPO[:SUBFOLDER-or-VARIANT]",
		Short: "Download a model folder from the Hugging Face Hub",
		Long: `Download a model folder from the Hugging Face Hub into
$LLSUM_CACHE/models, so that --model NAME finds it.

NAME is a built-in short name (llsum models --available lists them, e.g.
llama-3.2-3b-cpu-int4), or ORG/REPO for a whole repo, ORG/REPO:SUBFOLDER for
one folder of it (onnxruntime-genai layout), or ORG/REPO:VARIANT for the
transformers.js layout's onnx/model_VARIANT.onnx with the repo's top-level
files.

Large files come in parallel byte ranges, are checked against the SHA-256
and size the Hub publishes, and appear only once verified; an interrupted
pull resumes where it stopped, and pulling again fetches nothing that is
already there. HF_ENDPOINT changes the Hub address, HF_TOKEN is sent for
gated or private repos (to the Hub only, never to the storage host it
redirects to). The folder's path is printed on stdout.`,
		Example: `  llsum pull llama-3.2-3b-cpu-int4
  llsum run --model llama-3.2-3b-cpu-int4 ./docs
  llsum pull onnx-community/Llama-3.2-1B-Instruct:q4f16`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// modelStore is the store under the llsum cache.
func modelStore() modelstore.Store {
	return modelstore.Store{Dir: filepath.Join(envconfig.CacheDir(), "models")}
}

// resolveModel turns a --model value that names a pulled model into its
// folder (other values are returned unchanged). A value that is neither a
// folder nor a pulled model but reads as a model name is a
// *modelNotPulledError, so the user gets one error line with the way to
// get it instead of the engine's "no such file".
func resolveModel(v string) (string, error) {
	dir, ok := modelStore().Resolve(v)
	if ok || v == "" {
		return dir, nil
	}
	if _, err := os.Stat(v); err != nil && errors.Is(err, fs.ErrNotExist) {
		if _, perr := modelstore.ParseRef(v); perr == nil {
			return "", configError(&modelNotPulledError{name: v})
		}
	}
	return dir, nil
}

// modelNotPulledError is a --model value that names no folder and no
// pulled model; its hint says how to get it.
type modelNotPulledError struct{ name string }

func (e *modelNotPulledError) Error() string {
	return "model " + e.name + ": neither a folder nor a pulled model"
}

func (e *modelNotPulledError) hint() string {
	return "get it with `llsum pull " + e.name + "` (`llsum models --available` lists the names)"
}

// hubClient is the Hub client configured from HF_ENDPOINT and HF_TOKEN.
func hubClient(g *globalOptions) *hub.Client {
	c := hub.New(envconfig.HFEndpoint(), envconfig.HFToken())
	c.Log = g.notice
	return c
}

// runPull is `llsum pull`.
func runPull(ctx context.Context, g *globalOptions, opts pullOptions, args []string) error {
	ref, err := modelstore.ParseRef(args[0])
	if err != nil {
		return usagef("%v", err)
	}
	if opts.Connections < 1 {
		return usagef("--connections must be at least 1")
	}
	c := hubClient(g)
	c.Connections = opts.Connections
	store := modelStore()
	bar := newByteBar(g, "pulling "+ref.Name)
	c.Progress = bar.Add
	start := time.Now()
	var fetched int64
	m, err := store.Pull(ctx, c, ref, modelstore.PullOptions{
		Revision: opts.Revision,
		Start:    bar.Start,
		File: func(local string, r hub.Result) {
			fetched += r.Fetched
			if bar.On() {
				return
			}
			msg := fmt.Sprintf("%s: %s", local, humanBytes(r.Fetched))
			if r.Resumed > 0 {
				msg += fmt.Sprintf(" (resumed after %s)", humanBytes(r.Resumed))
			}
			if r.Skipped {
				msg = local + ": already here"
			}
			g.notice(msg)
		},
	})
	bar.Finish()
	if err != nil {
		err = fmt.Errorf("pull %s: %w", ref.Name, err)
		var busy *dirlock.BusyError
		if errors.Is(err, hub.ErrNotFound) || errors.Is(err, hub.ErrAuth) || errors.As(err, &busy) {
			return configError(err)
		}
		return err
	}
	dir := store.Path(ref)
	secs := time.Since(start).Seconds()
	g.notice(fmt.Sprintf("pulled %s: %d files, %s (%s fetched in %.1fs); use it with --model %s", ref.Name, len(m.Files), humanBytes(m.Size()), humanBytes(fetched), secs, ref.Name))
	fmt.Fprintln(g.stdout, dir)
	return nil
}

// newByteBar is the download progress bar: drawn on a terminal unless
// --quiet or LLSUM_NO_PROGRESS=1.
func newByteBar(g *globalOptions, desc string) *ui.ByteBar {
	return ui.NewByteBar(g.stderr, !g.Quiet && isTerminal(g.stderr) && !envconfig.NoProgress(), desc)
}

// humanBytes renders n as B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}
