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
	modelFlags
	Tokenizer      string
	Endpoint       string
	ModelName      string
	Concurrency    int
	RequestTimeout time.Duration
	Retries        int
	Context        int
	Sampling       infer.Sampling
	IgnoreEOS      bool
}

// AddFlags registers the backend flags.
func (o *backendFlags) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Backend, "backend", "", "summarizer: onnx, openai or extractive (default: onnx with a model, openai with --endpoint, else extractive)")
	o.modelFlags.AddFlags(f)
	f.StringVar(&o.Tokenizer, "tokenizer", "", "tokenizer.json (or its folder) for exact token counts with --backend openai")
	f.StringVar(&o.Endpoint, "endpoint", "", "OpenAI-compatible server base URL, e.g. http://gpu1:8000/v1 (API key from LLSUM_API_KEY)")
	f.StringVar(&o.ModelName, "model-name", "", "served model name for --backend openai (default: the server's only model)")
	f.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight to the server (--backend openai)")
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

// resolve picks the backend when --backend is not given.
func (o *backendFlags) resolve() (string, error) {
	b := o.Backend
	model := o.Model
	if model == "" {
		model = envconfig.Lookup("LLSUM_MODEL")
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
	case backendExtractive:
	case backendONNX:
		if model == "" {
			return "", usageErrorf("--backend onnx needs --model DIR (or LLSUM_MODEL)")
		}
	case backendOpenAI:
		if o.Endpoint == "" {
			return "", usageErrorf("--backend openai needs --endpoint URL")
		}
	default:
		return "", usageErrorf("--backend %q: want onnx, openai or extractive", b)
	}
	if o.Context < 0 {
		return "", usageErrorf("--context must not be negative")
	}
	return b, nil
}

// open opens the configured summarizer. Configuration problems (a model
// folder that is not one, a missing library, an unreachable server) are
// returned with exit code 2.
func (o *backendFlags) open(ctx context.Context, g *globalOptions) (infer.Summarizer, error) {
	b, err := o.resolve()
	if err != nil {
		return nil, err
	}
	llm := infer.LLMOptions{Sampling: o.Sampling, IgnoreEOS: o.IgnoreEOS}
	switch b {
	case backendONNX:
		m, err := onnx.OpenChatModel(ctx, o.modelFlags.engineOptions(g))
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		return infer.NewLLMSummarizer(m, llm), nil
	case backendOpenAI:
		cfg := openai.Config{
			Endpoint:      o.Endpoint,
			ModelName:     o.ModelName,
			APIKey:        envconfig.Lookup("LLSUM_API_KEY"),
			Concurrency:   o.Concurrency,
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
				return nil, withCode(exitUsage, err)
			}
			cfg.CountTokens = func(msgs []infer.Message) (int, error) {
				ids, err := enc.EncodeChat(msgs)
				return len(ids), err
			}
		}
		c, err := openai.New(ctx, cfg)
		if err != nil {
			return nil, withCode(exitUsage, err)
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
