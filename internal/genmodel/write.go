package genmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// externalThreshold is the weight size above which weights always go to an
// external data file: a protobuf message cannot exceed 2 GB, and inline
// weights are held in memory (several copies while encoding).
const externalThreshold = 256 << 20

// Write writes the model folder described by cfg into dir (created if
// needed): the ONNX graph, its external weights when large, the flavour's
// config files and a byte-level BPE tokenizer.
func Write(ctx context.Context, dir string, cfg Config) error {
	c, err := cfg.normalize()
	if err != nil {
		return fmt.Errorf("genmodel config: %w", err)
	}
	var b *builder
	graphPath, dataName := filepath.Join(dir, "model.onnx"), "model.onnx.data"
	if c.Flavour == FlavourGenAI {
		b = buildGenAI(c)
	} else {
		b = buildOptimum(c)
		name := "model.onnx"
		if c.DType == DTypeFP16 {
			name = "model_fp16.onnx"
		}
		graphPath, dataName = filepath.Join(dir, "onnx", name), name+"_data"
	}
	if b.weightBytes() > externalThreshold {
		c.ExternalData, b.cfg.ExternalData = true, true
	}
	if err := os.MkdirAll(filepath.Dir(graphPath), 0o755); err != nil {
		return fmt.Errorf("genmodel: %w", err)
	}
	if err := b.writeGraph(ctx, graphPath, dataName); err != nil {
		return fmt.Errorf("genmodel: write %s: %w", graphPath, err)
	}
	files := map[string]any{}
	if c.Flavour == FlavourGenAI {
		files["genai_config.json"] = genaiConfig(c)
	} else {
		files["config.json"] = hfConfig(c)
		files["generation_config.json"] = generationConfig(c)
	}
	tok := newTokenizerSpec(c)
	files["tokenizer.json"] = tok.tokenizerJSON()
	files["tokenizer_config.json"] = tok.tokenizerConfig()
	files["special_tokens_map.json"] = tok.specialTokensMap()
	for name, v := range files {
		if err := writeJSON(filepath.Join(dir, name), v); err != nil {
			return fmt.Errorf("genmodel: %w", err)
		}
	}
	return nil
}

// weightBytes is the total size of the generated initializers.
func (b *builder) weightBytes() int64 {
	var n int64
	for _, w := range b.weights {
		n += w.elems() * dtypeSize(b.io)
	}
	return n
}

// writeGraph writes the graph to path; weights go inline, or streamed to
// dataName beside it when large or when the config asks for it.
func (b *builder) writeGraph(ctx context.Context, path, dataName string) error {
	external := b.cfg.ExternalData
	g := b.g // copy: the initializer list grows below
	g.name = "main_graph"
	g.inits = append([]*pbTensor{}, b.g.inits...)
	var places []placed
	var offset int64
	for _, w := range b.weights {
		t := &pbTensor{name: w.name, dims: w.dims, dtype: b.io}
		if external {
			size := w.elems() * dtypeSize(b.io)
			t.extLocation, t.extOffset, t.extLength = dataName, offset, size
			places = append(places, placed{w: w, offset: offset})
			offset += (size + 4095) &^ 4095 // page-aligned, so ORT can map it
		} else {
			if err := ctx.Err(); err != nil {
				return err
			}
			t.raw = w.materialize(b.io)
		}
		g.inits = append(g.inits, t)
	}
	m := &pbModel{irVersion: 10, producer: "llsum genmodel",
		opsets: []pbOpset{{domain: "", version: 21}, {domain: msDomain, version: 1}}, graph: &g}
	if external {
		dataPath := filepath.Join(filepath.Dir(path), dataName)
		f, err := os.Create(dataPath)
		if err != nil {
			return err
		}
		err = f.Truncate(offset)
		if err == nil {
			err = writeExternal(ctx, f, places, b.io, b.cfg.Workers)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("external data %s: %w", dataPath, err)
		}
	} else if err := os.Remove(filepath.Join(filepath.Dir(path), dataName)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(path, m.marshal(), 0o644)
}

func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <|special|> tokens readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

type obj = map[string]any

func genaiConfig(c Config) obj {
	return obj{
		"model": obj{
			"bos_token_id":   c.BOS,
			"context_length": c.ContextLength,
			"decoder": obj{
				"session_options": obj{"log_id": "onnxruntime-genai", "provider_options": []any{}},
				"filename":        "model.onnx",
				"head_size":       c.HeadSize,
				"hidden_size":     c.Hidden,
				"inputs": obj{
					"input_ids":        "input_ids",
					"attention_mask":   "attention_mask",
					"past_key_names":   "past_key_values.%d.key",
					"past_value_names": "past_key_values.%d.value",
				},
				"outputs": obj{
					"logits":              "logits",
					"present_key_names":   "present.%d.key",
					"present_value_names": "present.%d.value",
				},
				"num_attention_heads": c.Heads,
				"num_hidden_layers":   c.Layers,
				"num_key_value_heads": c.KVHeads,
			},
			"eos_token_id": c.EOS,
			"pad_token_id": c.PAD,
			"type":         "llama",
			"vocab_size":   c.Vocab,
		},
		"search": obj{
			"diversity_penalty": 0.0, "do_sample": false, "early_stopping": true,
			"length_penalty": 1.0, "max_length": c.ContextLength, "min_length": 0,
			"no_repeat_ngram_size": 0, "num_beams": 1, "num_return_sequences": 1,
			"past_present_share_buffer": true, "repetition_penalty": 1.0,
			"temperature": 0.6, "top_k": 1, "top_p": 0.9,
		},
	}
}

func hfConfig(c Config) obj {
	dtype := "float32"
	if c.DType == DTypeFP16 {
		dtype = "float16"
	}
	var scaling any
	if c.RopeScaling {
		scaling = obj{"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
			"original_max_position_embeddings": 8192, "rope_type": "llama3"}
	}
	return obj{
		"architectures":           []string{"LlamaForCausalLM"},
		"attention_bias":          false,
		"attention_dropout":       0.0,
		"bos_token_id":            c.BOS,
		"eos_token_id":            c.EOS,
		"pad_token_id":            c.PAD,
		"head_dim":                c.HeadSize,
		"hidden_act":              "silu",
		"hidden_size":             c.Hidden,
		"initializer_range":       0.02,
		"intermediate_size":       c.Intermediate,
		"max_position_embeddings": c.ContextLength,
		"mlp_bias":                false,
		"model_type":              "llama",
		"num_attention_heads":     c.Heads,
		"num_hidden_layers":       c.Layers,
		"num_key_value_heads":     c.KVHeads,
		"pretraining_tp":          1,
		"rms_norm_eps":            c.RMSNormEps,
		"rope_scaling":            scaling,
		"rope_theta":              c.RopeTheta,
		"tie_word_embeddings":     c.TieEmbeddings,
		"torch_dtype":             dtype,
		"use_cache":               true,
		"vocab_size":              c.Vocab,
		"transformers.js_config": obj{
			"dtype":                    map[string]string{DTypeFP32: "fp32", DTypeFP16: "fp16"}[c.DType],
			"use_external_data_format": c.ExternalData,
		},
	}
}

func generationConfig(c Config) obj {
	return obj{
		"bos_token_id": c.BOS,
		"eos_token_id": c.EOS,
		"do_sample":    false,
		"temperature":  0.6,
		"top_p":        0.9,
	}
}
