package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/serve"
)

// serveOptions are the flags of `llsum serve`.
type serveOptions struct {
	modelFlags
	Addr         string
	ModelName    string
	MaxBatch     int
	Queue        int
	BatchWait    time.Duration
	StreamEvery  time.Duration
	MaxNewTokens int
}

// AddFlags registers serve's flags.
func (o *serveOptions) AddFlags(f *pflag.FlagSet) {
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Addr, "addr", serve.DefaultAddr, "address to listen on (host:port); use 0.0.0.0:PORT to accept other machines")
	f.StringVar(&o.ModelName, "model-name", "", "model name clients send and /v1/models lists (default: the model folder's name)")
	f.IntVar(&o.MaxBatch, "max-batch", serve.DefaultMaxBatch, "most requests decoded together in one batch")
	f.IntVar(&o.Queue, "queue", serve.DefaultQueue, "most requests waiting for a batch; more are answered 429 with Retry-After")
	f.DurationVar(&o.BatchWait, "batch-wait", serve.DefaultBatchWait, "how long to wait for a batch to fill after its first request (a request that finds the server quiet starts at once)")
	f.DurationVar(&o.StreamEvery, "stream-interval", serve.DefaultStreamInterval, "streamed replies: after the first token, send text at most this often (0: every token at once)")
	f.IntVar(&o.MaxNewTokens, "max-new-tokens", serve.DefaultMaxNewTokens, "completion length when a request gives no max_tokens")
}

func newServeCmd(g *globalOptions) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the model over an OpenAI-compatible HTTP API",
		Long: `Serve the ONNX model over the OpenAI chat-completions API, so that one GPU
box can serve several llsum clients (llsum run --backend openai) and other
OpenAI clients.

Endpoints: POST /v1/chat/completions (plain, or streamed with stream: true),
GET /v1/models (with max_model_len), GET /healthz, GET /metrics (Prometheus).
Stop strings, max_tokens/max_completion_tokens, temperature, top_p, seed and
logprobs are honoured; parameters it cannot honour (tools, response_format
other than text, n above 1) are answered 400 naming them. Requests are queued and decoded in batches of
up to --max-batch; when --queue requests are waiting, more are answered 429
with Retry-After. With LLSUM_API_KEY set, clients must send it as a Bearer
token. SIGINT/SIGTERM stop accepting, answer what is queued, then exit.

Listens on 127.0.0.1 unless --addr says otherwise.`,
		Example: `  llsum serve --model ~/models/llama-3.2-3b
  LLSUM_API_KEY=secret llsum serve --model ~/models/llama-3.2-3b --addr 0.0.0.0:8000 --max-batch 16
  llsum run --backend openai --endpoint http://gpu-box:8000/v1 ./docs`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), g, opts)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// Finalize checks the flags' ranges and that a model is given.
func (o *serveOptions) Finalize() error {
	if o.MaxBatch < 1 || o.Queue < 1 || o.MaxNewTokens < 1 {
		return usagef("--max-batch, --queue and --max-new-tokens must be at least 1")
	}
	if o.Model == "" && envconfig.Model() == "" {
		return usagef("serve needs a model: --model DIR or LLSUM_MODEL")
	}
	return nil
}

// runServe is `llsum serve`.
func runServe(ctx context.Context, g *globalOptions, opts serveOptions) error {
	eo, err := opts.modelFlags.engineOptions(g)
	if err != nil {
		return err
	}
	m, err := onnx.OpenChatModel(ctx, eo)
	if err != nil {
		return configError(err)
	}
	defer m.Close()

	level := slog.LevelInfo
	switch {
	case g.Verbose:
		level = slog.LevelDebug
	case g.Quiet:
		level = slog.LevelError
	}
	s, err := serve.New(serve.Config{
		Model:          m,
		ModelName:      opts.ModelName,
		MaxBatch:       opts.MaxBatch,
		Queue:          opts.Queue,
		BatchWait:      opts.BatchWait,
		StreamInterval: streamInterval(opts.StreamEvery),
		MaxNewTokens:   opts.MaxNewTokens,
		APIKey:         envconfig.APIKey(),
		Logger:         slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return configError(err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return configError(fmt.Errorf("serve: %w", err))
	}
	info := m.Info()
	if !g.Quiet {
		fmt.Fprintf(g.stderr, "llsum: serving %s (%s, context %d) on http://%s/v1 — batch %d, queue %d\n",
			info.Model, info.Device, info.ContextWindow, ln.Addr(), opts.MaxBatch, opts.Queue)
	}
	if err := s.Run(ctx, ln); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return reported(err) // stopped by a signal: exit 130
	}
	return nil
}

// streamInterval maps --stream-interval onto serve.Config.StreamInterval,
// where 0 means the default and a negative value every token at once.
func streamInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
