package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/infer/openai"
	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/envconfig"
)

// backendFlags choose the summarization backend; the openai ones configure
// the OpenAI-compatible client.
type backendFlags struct {
	Backend        string
	Endpoint       string
	ModelName      string
	Concurrency    int
	Context        int
	Tokenizer      string
	RequestTimeout time.Duration
}

// AddFlags registers the backend flags.
func (o *backendFlags) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Backend, "backend", "", "summarization backend: extractive or openai (default extractive)")
	f.StringVar(&o.Endpoint, "endpoint", "", "openai backend: the server's API base URL, e.g. http://gpu-1:8000/v1")
	f.StringVar(&o.ModelName, "model-name", "", "openai backend: served model name (default: the server's only model)")
	f.IntVar(&o.Concurrency, "concurrency", openai.DefaultConcurrency, "openai backend: requests in flight")
	f.IntVar(&o.Context, "context", 0, "model context window in tokens (openai backend: needed when the server does not report it)")
	f.StringVar(&o.Tokenizer, "tokenizer", "", "openai backend: the served model's tokenizer.json (or its folder), to count tokens exactly instead of estimating")
	f.DurationVar(&o.RequestTimeout, "request-timeout", openai.DefaultTimeout, "openai backend: time limit for one request (queueing on the server included)")
}

// openOpenAI opens the openai backend as a Summarizer.
func openOpenAI(ctx context.Context, g *globalOptions, o backendFlags) (infer.Summarizer, error) {
	if o.Endpoint == "" {
		return nil, usageErrorf("--backend openai needs --endpoint URL")
	}
	if o.Concurrency < 1 {
		return nil, usageErrorf("--concurrency must be at least 1")
	}
	level := slog.LevelWarn
	if g.Verbose {
		level = slog.LevelDebug
	}
	var count openai.TokenCounter
	if o.Tokenizer != "" {
		tok, err := tokenizer.Load(o.Tokenizer)
		if err != nil {
			return nil, usageErrorf("--tokenizer: %v", err)
		}
		enc, err := chat.NewEncoder(tok, chat.Options{})
		if err != nil {
			return nil, usageErrorf("--tokenizer %s: %v", o.Tokenizer, err)
		}
		count = func(msgs []infer.Message) (int, error) {
			ids, err := enc.EncodeChat(msgs)
			return len(ids), err
		}
	}
	m, err := openai.New(ctx, openai.Config{
		Endpoint:      o.Endpoint,
		ModelName:     o.ModelName,
		APIKey:        envconfig.Lookup(openai.EnvAPIKey),
		Concurrency:   o.Concurrency,
		Timeout:       o.RequestTimeout,
		ContextWindow: o.Context,
		CountTokens:   count,
		Logger:        slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if !g.Quiet {
		info := m.Info()
		fmt.Fprintf(g.stderr, "llsum: summarizing with %s on %s (context %d tokens, %s token counting)\n",
			info.Model, info.Endpoint, info.ContextWindow, info.TokenCounting)
	}
	return infer.NewLLMSummarizer(m, infer.LLMOptions{}), nil
}
