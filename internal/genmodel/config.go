// Package genmodel writes Llama-architecture ONNX decoders with deterministic
// pseudo-random weights, in the two layouts llsum loads: the onnxruntime-genai
// builder layout (GroupQueryAttention with fused rotary, no position_ids,
// genai_config.json) and the transformers.js/optimum layout (standard ONNX
// ops, position_ids, config.json, graph under onnx/). A byte-level BPE
// tokenizer consistent with the vocabulary is written beside the graph.
//
// The same Config (and seed) gives the same weights in both flavours and in
// fp32 and fp16, so the graphs compute the same function. Large models are
// streamed to an external data file, never held in memory as a whole.
package genmodel

import (
	"errors"
	"fmt"
)

// Flavours of model folder.
const (
	FlavourGenAI   = "genai"
	FlavourOptimum = "optimum"
)

// Data types of weights, KV cache and logits.
const (
	DTypeFP32 = "fp32"
	DTypeFP16 = "fp16"
)

// Config describes the model to write. Zero values of the optional fields
// are filled by Write (see the field comments).
type Config struct {
	Flavour      string // FlavourGenAI or FlavourOptimum
	Layers       int
	Hidden       int
	Heads        int
	KVHeads      int
	HeadSize     int // 0: Hidden/Heads
	Intermediate int
	Vocab        int    // including the special tokens
	DType        string // DTypeFP32 or DTypeFP16
	// ContextLength is the model's maximum sequence length (rotary table
	// size). 0: 2048.
	ContextLength int
	Seed          uint64
	// Int32IDs makes input_ids int32 (genai flavour only; optimum is
	// always int64, as exported by optimum).
	Int32IDs bool
	// TieEmbeddings shares one matrix between the token embedding and the
	// output projection, as Llama 3.2 1B/3B do.
	TieEmbeddings bool
	RopeTheta     float64 // 0: 500000
	// RopeScaling applies Llama 3.1-style rope scaling (factor 32, low 1,
	// high 4, original context 8192), as Llama 3.2 does.
	RopeScaling bool
	RMSNormEps  float64 // 0: 1e-5
	// ExternalData forces weights into an external data file; they go
	// there anyway when they exceed 256 MiB.
	ExternalData bool
	// BOS and EOS ids; 0/nil: taken from the special tokens at the top of
	// the vocabulary (<|begin_of_text|>; <|end_of_text|>, <|eom_id|>,
	// <|eot_id|>).
	BOS int
	EOS []int
	PAD int // 0: same as the first EOS id
	// Workers bounds the weight-generation goroutines; 0: GOMAXPROCS.
	Workers int
}

// Tiny is a small, fast model for tests: 2 layers, hidden 64, 4 heads,
// 2 KV heads, vocabulary 512.
func Tiny() Config {
	return Config{
		Flavour: FlavourGenAI, Layers: 2, Hidden: 64, Heads: 4, KVHeads: 2,
		Intermediate: 128, Vocab: 512, DType: DTypeFP32, ContextLength: 2048,
		Seed: 1, TieEmbeddings: true,
	}
}

// Llama32_1B has the shape of Llama-3.2-1B-Instruct.
func Llama32_1B() Config {
	return Config{
		Flavour: FlavourGenAI, Layers: 16, Hidden: 2048, Heads: 32, KVHeads: 8,
		HeadSize: 64, Intermediate: 8192, Vocab: 128256, DType: DTypeFP16,
		ContextLength: 131072, Seed: 1, TieEmbeddings: true, RopeScaling: true,
	}
}

// Llama32_3B has the shape of Llama-3.2-3B-Instruct.
func Llama32_3B() Config {
	return Config{
		Flavour: FlavourGenAI, Layers: 28, Hidden: 3072, Heads: 24, KVHeads: 8,
		HeadSize: 128, Intermediate: 8192, Vocab: 128256, DType: DTypeFP16,
		ContextLength: 131072, Seed: 1, TieEmbeddings: true, RopeScaling: true,
	}
}

// Preset returns the named preset: "tiny", "1b" or "3b".
func Preset(name string) (Config, error) {
	switch name {
	case "tiny":
		return Tiny(), nil
	case "1b":
		return Llama32_1B(), nil
	case "3b":
		return Llama32_3B(), nil
	}
	return Config{}, fmt.Errorf("unknown preset %q (want tiny, 1b or 3b)", name)
}

// specials returns the number of special tokens at the top of the vocabulary.
func (c *Config) specials() int {
	if c.Vocab >= 128256 {
		return 256
	}
	return 16
}

// Validate reports what is wrong with the configuration, if anything.
func (c Config) Validate() error {
	_, err := c.normalize()
	return err
}

// normalize fills defaults and checks the configuration.
func (c Config) normalize() (Config, error) {
	if c.HeadSize == 0 && c.Heads > 0 {
		c.HeadSize = c.Hidden / c.Heads
	}
	if c.ContextLength == 0 {
		c.ContextLength = 2048
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 500000
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-5
	}
	if c.DType == "" {
		c.DType = DTypeFP32
	}
	var errs []error
	if c.Flavour != FlavourGenAI && c.Flavour != FlavourOptimum {
		errs = append(errs, fmt.Errorf("flavour %q: want %s or %s", c.Flavour, FlavourGenAI, FlavourOptimum))
	}
	if c.DType != DTypeFP32 && c.DType != DTypeFP16 {
		errs = append(errs, fmt.Errorf("dtype %q: want %s or %s", c.DType, DTypeFP32, DTypeFP16))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"layers", c.Layers}, {"hidden", c.Hidden}, {"heads", c.Heads}, {"kv heads", c.KVHeads},
		{"head size", c.HeadSize}, {"intermediate", c.Intermediate}, {"vocab", c.Vocab}} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", f.name, f.v))
		}
	}
	if c.Heads > 0 && c.KVHeads > 0 && c.Heads%c.KVHeads != 0 {
		errs = append(errs, fmt.Errorf("heads (%d) must be a multiple of kv heads (%d)", c.Heads, c.KVHeads))
	}
	if c.HeadSize%2 != 0 {
		errs = append(errs, fmt.Errorf("head size must be even for rotary, got %d", c.HeadSize))
	}
	if c.Vocab > 0 && c.Vocab-c.specials() < 256 {
		errs = append(errs, fmt.Errorf("vocab %d too small: need 256 byte tokens + %d specials", c.Vocab, c.specials()))
	}
	if c.Flavour == FlavourOptimum && c.Int32IDs {
		errs = append(errs, errors.New("int32 input_ids: only the genai flavour has them"))
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	base := c.Vocab - c.specials()
	if c.BOS == 0 {
		c.BOS = base
	}
	if len(c.EOS) == 0 {
		c.EOS = []int{base + 1, base + 8, base + 9}
	}
	if c.PAD == 0 {
		c.PAD = c.EOS[0]
	}
	for _, id := range append([]int{c.BOS, c.PAD}, c.EOS...) {
		if id < 0 || id >= c.Vocab {
			return c, fmt.Errorf("special id %d outside vocab %d", id, c.Vocab)
		}
	}
	return c, nil
}
