package genmodel

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/testenv"
)

// sharedDir finds ../shared beside the module root.
func sharedDir(t testing.TB) string {
	t.Helper()
	return testenv.Shared(t)
}

// The genai graph has the interface of the builder's real export: same
// input/output names, element types and fixed dims, and GroupQueryAttention
// nodes fed q, k, v, past, seqlens_k and total_sequence_length alike.
func TestGenAIMatchesBuilderExport(t *testing.T) {
	real := readModel(t, filepath.Join(sharedDir(t), "models", "tiny-qwen2-gqa-fp16", "decoder.onnx"))
	cfg := Config{Flavour: FlavourGenAI, Layers: 2, Hidden: 64, Heads: 4, KVHeads: 2, HeadSize: 16,
		Intermediate: 128, Vocab: 1000, DType: DTypeFP16, Int32IDs: true, ContextLength: 128}
	dir := writeModel(t, cfg)
	ours := readModel(t, filepath.Join(dir, "model.onnx"))

	// name, element type and dims (symbolic dims as "?")
	sig := func(vs []pbValueInfo) []string {
		var out []string
		for _, v := range vs {
			s := fmt.Sprintf("%s:%d", v.name, v.elem)
			for _, d := range v.shape {
				if d.param == "" {
					s += fmt.Sprintf(":%d", d.value)
				} else {
					s += ":?"
				}
			}
			out = append(out, s)
		}
		return out
	}
	if got, want := sig(ours.graph.inputs), sig(real.graph.inputs); !slices.Equal(got, want) {
		t.Errorf("inputs\n got %v\nwant %v", got, want)
	}
	if got, want := sig(ours.graph.outputs), sig(real.graph.outputs); !slices.Equal(got, want) {
		t.Errorf("outputs\n got %v\nwant %v", got, want)
	}
	for _, m := range []*pbModel{real, ours} {
		if m.irVersion != 10 || !slices.Contains(m.opsets, pbOpset{"", 21}) || !slices.Contains(m.opsets, pbOpset{msDomain, 1}) {
			t.Errorf("ir %d opsets %v", m.irVersion, m.opsets)
		}
	}
	gqa := func(m *pbModel) []*pbNode {
		var out []*pbNode
		for _, n := range m.graph.nodes {
			if n.op == "GroupQueryAttention" && n.domain == msDomain {
				out = append(out, n)
			}
		}
		return out
	}
	rg, og := gqa(real), gqa(ours)
	if len(rg) != 2 || len(og) != 2 {
		t.Fatalf("GQA nodes: real %d, ours %d", len(rg), len(og))
	}
	attrs := func(n *pbNode) map[string]int64 {
		out := map[string]int64{}
		for _, a := range n.attrs {
			out[a.name] = a.i
		}
		return out
	}
	for i := range rg {
		ra, oa := attrs(rg[i]), attrs(og[i])
		for k, v := range ra {
			if oa[k] != v {
				t.Errorf("GQA %d: %s = %d, builder export has %d", i, k, oa[k], v)
			}
		}
		if oa["do_rotary"] != 1 || oa["rotary_interleaved"] != 0 || oa["local_window_size"] != -1 {
			t.Errorf("GQA %d: rotary attributes %v", i, oa)
		}
		// inputs 3..4 are the past KV graph inputs, 5 and 6 computed from
		// attention_mask as int32 (seqlens_k, total_sequence_length).
		for j := 3; j <= 4; j++ {
			if rg[i].inputs[j] != og[i].inputs[j] {
				t.Errorf("GQA %d input %d: %q, builder export %q", i, j, og[i].inputs[j], rg[i].inputs[j])
			}
		}
		if len(og[i].inputs) != 9 || og[i].inputs[7] != "cos_cache" || og[i].inputs[8] != "sin_cache" {
			t.Errorf("GQA %d inputs %v: want cos_cache/sin_cache at 7, 8", i, og[i].inputs)
		}
		if !slices.Equal(rg[i].outputs[1:], og[i].outputs[1:]) {
			t.Errorf("GQA %d outputs %v, builder export %v", i, og[i].outputs, rg[i].outputs)
		}
	}
	// seqlens_k / total_sequence_length come from attention_mask through
	// the same kinds of ops.
	ops := func(m *pbModel) []string {
		var out []string
		for _, n := range m.graph.nodes {
			if n.op == "Gather" && slices.Contains(n.inputs, "input_ids") {
				break
			}
			out = append(out, n.op)
		}
		slices.Sort(out)
		return out
	}
	if got, want := ops(ours), ops(real); !slices.Equal(got, want) {
		t.Errorf("mask subgraph ops %v, builder export %v", got, want)
	}
}

// The tokenizer is a valid byte-level BPE of the configured size, with the
// Llama 3 pre-tokenizer, decoder and post-processor; the special ids agree
// across tokenizer and model configs.
func TestTokenizerFiles(t *testing.T) {
	for _, fl := range []string{FlavourGenAI, FlavourOptimum} {
		t.Run(fl, func(t *testing.T) {
			cfg := tinyCfg(fl, DTypeFP32)
			dir := writeModel(t, cfg)
			var tok struct {
				AddedTokens []struct {
					ID      int    `json:"id"`
					Content string `json:"content"`
					Special bool   `json:"special"`
				} `json:"added_tokens"`
				Model struct {
					Type         string         `json:"type"`
					IgnoreMerges bool           `json:"ignore_merges"`
					Vocab        map[string]int `json:"vocab"`
					Merges       []string       `json:"merges"`
				} `json:"model"`
				PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
				PostProcessor json.RawMessage `json:"post_processor"`
				Decoder       json.RawMessage `json:"decoder"`
			}
			readJSON(t, filepath.Join(dir, "tokenizer.json"), &tok)
			m := tok.Model
			if m.Type != "BPE" || !m.IgnoreMerges {
				t.Errorf("model type %q ignore_merges %v", m.Type, m.IgnoreMerges)
			}
			if n := len(m.Vocab) + len(tok.AddedTokens); n != cfg.Vocab {
				t.Errorf("vocab %d + added %d != %d", len(m.Vocab), len(tok.AddedTokens), cfg.Vocab)
			}
			ids := map[int]bool{}
			for _, id := range m.Vocab {
				ids[id] = true
			}
			for i, a := range tok.AddedTokens {
				if a.ID != len(m.Vocab)+i || !a.Special {
					t.Errorf("added token %d: %+v", i, a)
				}
				ids[a.ID] = true
			}
			if len(ids) != cfg.Vocab {
				t.Errorf("%d distinct ids, want %d", len(ids), cfg.Vocab)
			}
			for _, mg := range m.Merges {
				l, r, ok := strings.Cut(mg, " ")
				li, lok := m.Vocab[l]
				ri, rok := m.Vocab[r]
				ni, nok := m.Vocab[l+r]
				if !ok || !lok || !rok || !nok || ni <= li || ni <= ri {
					t.Fatalf("bad merge %q", mg)
				}
			}
			if len(m.Merges) != len(m.Vocab)-256 {
				t.Errorf("%d merges for %d tokens", len(m.Merges), len(m.Vocab))
			}

			var tc struct {
				BOS          string `json:"bos_token"`
				EOS          string `json:"eos_token"`
				ChatTemplate string `json:"chat_template"`
			}
			readJSON(t, filepath.Join(dir, "tokenizer_config.json"), &tc)
			byName := map[string]int{}
			for _, a := range tok.AddedTokens {
				byName[a.Content] = a.ID
			}
			c, _ := cfg.normalize()
			if byName["<|begin_of_text|>"] != c.BOS {
				t.Errorf("BOS %d, config says %d", byName["<|begin_of_text|>"], c.BOS)
			}
			want := []int{byName["<|end_of_text|>"], byName["<|eom_id|>"], byName["<|eot_id|>"]}
			if !slices.Equal(want, c.EOS) {
				t.Errorf("EOS %v, config says %v", want, c.EOS)
			}
			var mc struct {
				Model struct {
					EOS        []int `json:"eos_token_id"`
					Vocab      int   `json:"vocab_size"`
					ContextLen int   `json:"context_length"`
				} `json:"model"`
				EOS   []int `json:"eos_token_id"`
				Vocab int   `json:"vocab_size"`
			}
			if fl == FlavourGenAI {
				readJSON(t, filepath.Join(dir, "genai_config.json"), &mc)
				mc.EOS, mc.Vocab = mc.Model.EOS, mc.Model.Vocab
			} else {
				readJSON(t, filepath.Join(dir, "config.json"), &mc)
			}
			if !slices.Equal(mc.EOS, c.EOS) || mc.Vocab != cfg.Vocab {
				t.Errorf("model config eos %v vocab %d", mc.EOS, mc.Vocab)
			}
			if !strings.Contains(tc.ChatTemplate, "<|start_header_id|>") || tc.BOS != "<|begin_of_text|>" || tc.EOS != "<|eot_id|>" {
				t.Errorf("tokenizer_config: bos %q eos %q template %q", tc.BOS, tc.EOS, tc.ChatTemplate)
			}

			// Same pre-tokenizer, decoder and post-processor as the real
			// Llama 3 tokenizer.json, when the tokenizer test data is installed.
			ref := llama3Tokenizer(t)
			if ref == nil {
				return
			}
			for name, pair := range map[string][2]json.RawMessage{
				"pre_tokenizer":  {tok.PreTokenizer, ref["pre_tokenizer"]},
				"post_processor": {tok.PostProcessor, ref["post_processor"]},
				"decoder":        {tok.Decoder, ref["decoder"]},
			} {
				got, want := compact(t, pair[0]), compact(t, pair[1])
				// the BOS id depends on the vocabulary size
				got = strings.ReplaceAll(got, fmt.Sprintf(`"ids":[%d]`, c.BOS), `"ids":[128000]`)
				if got != want {
					t.Errorf("%s differs from the Llama 3 tokenizer:\n got %s\nwant %s", name, got, want)
				}
			}
		})
	}
}

func compact(t *testing.T, b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// llama3Tokenizer reads the real Llama 3 tokenizer.json that the tokenizer
// tests install into the llsum cache; nil (skip the comparison) when it is
// absent, except under CI.
func llama3Tokenizer(t *testing.T) map[string]json.RawMessage {
	path := filepath.Join(envconfig.CacheDir(), "tokenizers", "llama3.1", "tokenizer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Llama 3 tokenizer: %v (run `make deps`)", err)
		}
		t.Logf("Llama 3 tokenizer not installed (%v); run `make deps` to compare", err)
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
