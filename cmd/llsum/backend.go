package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/openai"
	"github.com/llsum/llsum/internal/envconfig"
)

// Backends.
const (
	backendExtractive = "extractive"
	backendONNX       = "onnx"
	backendOpenAI     = "openai"
)

// backendFlags choose and configure the summarizer behind `llsum run`.
type backendFlags struct {
	Backend string
	// backend is the one Finalize picked.
	backend string
	modelFlags
	Tokenizer      string
	Endpoint       string
	ModelName      string
	Concurrency    int
	Stream         bool
	RequestTimeout time.Duration
	Retries        int
	Context        int
	Sampling       infer.Sampling
	IgnoreEOS      bool
}

// AddFlags registers the backend flags.
func (o *backendFlags) AddFlags(f *pflag.FlagSet) {
	choiceFlag(f, &o.Backend, "backend", "", []string{backendONNX, backendOpenAI, backendExtractive}, nil, "summarizer (default: onnx with a model, openai with --endpoint, else extractive)")
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Tokenizer, "tokenizer", "", "tokenizer.json (or its folder) for exact token counts with --backend openai")
	f.StringVar(&o.Endpoint, "endpoint", "", "OpenAI-compatible server base URL, e.g. http://gpu1:8000/v1 (API key from LLSUM_API_KEY)")
	f.StringVar(&o.ModelName, "model-name", "", "served model name for --backend openai (default: the server's only model)")
	f.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight to the server (--backend openai)")
	f.BoolVar(&o.Stream, "stream", false, "ask the server for streamed replies (--backend openai; for proxies that cut idle connections)")
	f.DurationVar(&o.RequestTimeout, "request-timeout", 10*time.Minute, "time limit for one request to the server")
	f.IntVar(&o.Retries, "retries", 4, "retries of a request that failed transiently (429, 5xx, connection errors)")
	f.IntVar(&o.Context, "context", 0, "cap the context window at N tokens (0: the model's own; smaller is faster and lighter)")
	f.Float64Var(&o.Sampling.Temperature, "temperature", 0, "sampling temperature (0: greedy, reproducible)")
	f.Float64Var(&o.Sampling.TopP, "top-p", 0, "nucleus sampling mass (0: off)")
	f.IntVar(&o.Sampling.TopK, "top-k", 0, "sample among the k likeliest tokens (0: all)")
	f.Int64Var(&o.Sampling.Seed, "seed", 0, "random seed for sampling")
	f.Float64Var(&o.Sampling.RepetitionPenalty, "repetition-penalty", 0, "penalty for tokens already seen (1 or 0: off)")
	f.BoolVar(&o.IgnoreEOS, "ignore-eos", false, "benchmarks only: generate exactly --max-new-tokens, through end-of-sequence tokens")
	_ = f.MarkHidden("ignore-eos")
}

// Finalize picks the backend when --backend is not given and checks that
// its flags go together.
func (o *backendFlags) Finalize() error {
	b := o.Backend
	model := o.Model
	if model == "" {
		model = envconfig.Model()
	}
	if b == "" {
		switch {
		case o.Endpoint != "":
			b = backendOpenAI
		case model != "":
			b = backendONNX
		default:
			b = backendExtractive
		}
	}
	switch b {
	case backendONNX:
		if model == "" {
			return usagef("--backend onnx needs --model DIR (or LLSUM_MODEL)")
		}
	case backendOpenAI:
		if o.Endpoint == "" {
			return usagef("--backend openai needs --endpoint URL")
		}
	}
	if o.Context < 0 {
		return usagef("--context must not be negative")
	}
	o.backend = b
	return nil
}

// open opens the summarizer Finalize picked. Configuration problems (a
// model folder that is not one, a missing library, an unreachable server)
// are configuration errors (exit 2).
func (o *backendFlags) open(ctx context.Context, g *globalOptions) (infer.Summarizer, error) {
	if o.backend == "" {
		if err := o.Finalize(); err != nil {
			return nil, err
		}
	}
	llm := infer.LLMOptions{Sampling: o.Sampling, IgnoreEOS: o.IgnoreEOS}
	switch o.backend {
	case backendONNX:
		eo, err := o.modelFlags.engineOptions(g)
		if err != nil {
			return nil, err
		}
		m, err := onnx.OpenChatModel(ctx, eo)
		if err != nil {
			return nil, configError(err)
		}
		return infer.NewLLMSummarizer(m, llm), nil
	case backendOpenAI:
		cfg := openai.Config{
			Endpoint:      o.Endpoint,
			ModelName:     o.ModelName,
			APIKey:        envconfig.APIKey(),
			Concurrency:   o.Concurrency,
			Stream:        o.Stream,
			Timeout:       o.RequestTimeout,
			MaxRetries:    retriesConfig(o.Retries),
			ContextWindow: o.Context,
		}
		tokPath := o.Tokenizer
		if tokPath == "" {
			tokPath = o.Model
		}
		if tokPath != "" {
			enc, err := chat.Load(tokPath)
			if err != nil {
				return nil, configError(err)
			}
			cfg.CountTokens = func(msgs []infer.Message) (int, error) {
				ids, err := enc.EncodeChat(msgs)
				return len(ids), err
			}
		}
		c, err := openai.New(ctx, cfg)
		if err != nil {
			return nil, configError(err)
		}
		return infer.NewLLMSummarizer(c, llm), nil
	}
	g.notice("no model configured, summaries are extractive (TextRank sentence selection); set --model DIR or LLSUM_MODEL to summarize with Llama 3.2 (see README, \"Getting a model\")")
	return extractive.New(extractive.Options{ContextWindow: o.Context}), nil
}

// retriesConfig maps --retries onto openai.Config.MaxRetries, where 0 means
// the default and a negative value none.
func retriesConfig(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}
