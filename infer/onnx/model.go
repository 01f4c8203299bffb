package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ort "github.com/yalue/onnxruntime_go"
)

// Layout names of model folders.
const (
	LayoutGenAI   = "genai"   // genai_config.json + model.onnx (onnxruntime-genai builder)
	LayoutOptimum = "optimum" // config.json + onnx/*.onnx (optimum / transformers.js)
)

// ModelSpec is what a model folder declares, checked against the graph's own
// input/output metadata.
type ModelSpec struct {
	Dir     string
	Layout  string
	Graph   string // path of the .onnx file
	Variant string // variant picked among several, e.g. "q4f16", "cuda-fp16"
	// Choice is the one-line notice saying which variant was picked among
	// several ("" when the folder has one).
	Choice string

	Layers        int
	Heads         int // query heads (0: the config does not say)
	KVHeads       int
	HeadSize      int
	Vocab         int // logits' last dimension
	ContextLength int
	EOS           []int
	BOS           int
	Pad           int
	// ShareBuffer: past and present KV use one buffer (GroupQueryAttention
	// graphs, positions derived from attention_mask).
	ShareBuffer bool

	// Names and element types from the session metadata.
	IDsType    ort.TensorElementDataType // int32 or int64
	MaskType   ort.TensorElementDataType // int32 or int64
	KVType     ort.TensorElementDataType // float16 or float32
	LogitsType ort.TensorElementDataType // float16 or float32
	HasPosIDs  bool
	// KeepInput is the graph's logits_to_keep / num_logits_to_keep input
	// ("" when it has none); the engine feeds it 1.
	KeepInput string
	keepType  ort.TensorElementDataType
	keepRank  int
	// LastLogits: the graph computes logits for the last position only
	// (KeepInput fed 1, or a pruned lm_head with [batch, 1, vocab] logits).
	LastLogits bool
	// LogitsRewritten: the graph declares logits for every position and
	// the engine rewrote it at open so that its lm_head sees the last
	// position only (see lastlogits.go); LastLogits is then set too.
	LogitsRewritten bool
	// perPosition: the logits have a free sequence dimension and the graph
	// no logits_to_keep input (the rewrite's candidates).
	perPosition bool
	// StaticOutputs: the graph declares fixed output shapes (the builder's
	// dummy test decoder); outputs are then allocated by ONNX Runtime.
	StaticOutputs bool

	InputNames     []string       // session order
	roles          map[string]int // input name → role
	kvIndex        map[string]int // past input name → 2*layer + (0 key, 1 value)
	OutputNames    []string       // logits first, then present key/value per layer
	pastKey        []string
	pastValue      []string
	presentKey     []string
	presentVal     []string
	TokenizerVocab int // 0 when the folder has no tokenizer.json
	HasTokenizer   bool
}

// DTypeName is a short name of an element type ("fp16", "int32").
func DTypeName(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat16:
		return "fp16"
	case ort.TensorElementDataTypeFloat:
		return "fp32"
	case ort.TensorElementDataTypeInt32:
		return "int32"
	case ort.TensorElementDataTypeInt64:
		return "int64"
	}
	return t.String()
}

func elemSize(t ort.TensorElementDataType) int {
	switch t {
	case ort.TensorElementDataTypeFloat16:
		return 2
	case ort.TensorElementDataTypeInt64:
		return 8
	}
	return 4
}

// genaiConfig is the part of genai_config.json the engine reads.
type genaiConfig struct {
	Model struct {
		Type          string          `json:"type"`
		BOS           json.RawMessage `json:"bos_token_id"`
		EOS           json.RawMessage `json:"eos_token_id"`
		Pad           json.RawMessage `json:"pad_token_id"`
		VocabSize     int             `json:"vocab_size"`
		ContextLength int             `json:"context_length"`
		Decoder       struct {
			Filename string            `json:"filename"`
			Heads    int               `json:"num_attention_heads"`
			KVHeads  int               `json:"num_key_value_heads"`
			HeadSize int               `json:"head_size"`
			Layers   int               `json:"num_hidden_layers"`
			Inputs   map[string]string `json:"inputs"`
			Outputs  map[string]string `json:"outputs"`
		} `json:"decoder"`
	} `json:"model"`
	Search struct {
		ShareBuffer *bool `json:"past_present_share_buffer"`
		MaxLength   int   `json:"max_length"`
	} `json:"search"`
}

// hfConfig is the part of config.json / generation_config.json read.
type hfConfig struct {
	Layers    int             `json:"num_hidden_layers"`
	Heads     int             `json:"num_attention_heads"`
	KVHeads   int             `json:"num_key_value_heads"`
	HeadDim   int             `json:"head_dim"`
	Hidden    int             `json:"hidden_size"`
	VocabSize int             `json:"vocab_size"`
	MaxPos    int             `json:"max_position_embeddings"`
	BOS       json.RawMessage `json:"bos_token_id"`
	EOS       json.RawMessage `json:"eos_token_id"`
	Pad       json.RawMessage `json:"pad_token_id"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ids parses a token id field that is a number, a list or null.
func ids(raw json.RawMessage) []int {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return []int{one}
	}
	var many []int
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func firstID(raw json.RawMessage, def int) int {
	if v := ids(raw); len(v) > 0 {
		return v[0]
	}
	return def
}

// Input roles.
const (
	roleKV = iota
	roleIDs
	roleMask
	rolePos
	roleKeep // logits_to_keep / num_logits_to_keep: fed 1
)

// ErrBadModel marks a folder that is not a usable model.
var ErrBadModel = errors.New("not a usable model folder")

// ErrNoSuchVariant marks a variant asked for (Options.Variant) that the
// folder does not have, or that names several of its variants; the error
// lists those it has.
var ErrNoSuchVariant = errors.New("no such variant")

func badModel(dir, format string, a ...any) error {
	return fmt.Errorf("model %s: %s: %w", dir, fmt.Sprintf(format, a...), ErrBadModel)
}

// Variants lists the graph variants of an optimum-layout folder
// (onnx/model_q4f16.onnx → "q4f16", onnx/model.onnx → "fp32").
func Variants(dir string) map[string]string {
	out := map[string]string{}
	for _, v := range optimumGraphs(dir, dir, false) {
		out[v.Name] = v.Graph
	}
	return out
}

// ReadSpec reads a model folder's configuration and its graph's metadata
// (ONNX Runtime must be loaded) and validates them against each other. A
// folder with several variants gets the best one for the CPU unless
// variant names one; ReadSpecFor picks for another device.
func ReadSpec(dir, variant string) (*ModelSpec, error) {
	return ReadSpecFor(dir, variant, "cpu")
}

// ReadSpecFor is ReadSpec picking among variants for device ("cpu",
// "cuda:0"). The spec's Choice says which variant was picked, when there
// were several.
func ReadSpecFor(dir, variant, device string) (*ModelSpec, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, badModel(dir, "%v", errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, badModel(dir, "not a folder")
	}
	vs, err := FindVariants(dir)
	if err != nil {
		return nil, err
	}
	v, choice, err := PickVariant(dir, vs, variant, device)
	if err != nil {
		return nil, err
	}
	s, err := readVariant(v)
	if err != nil {
		return nil, err
	}
	s.Choice = choice
	return s, nil
}

// readVariant reads one variant's config files and graph metadata.
func readVariant(v Variant) (*ModelSpec, error) {
	dir := v.Dir
	s := &ModelSpec{Dir: dir, Pad: 0, BOS: -1, Variant: v.Name, Graph: v.Graph}
	names := map[string]string{
		"input_ids": "input_ids", "attention_mask": "attention_mask", "position_ids": "position_ids",
		"past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value",
		"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value",
	}
	cfgVocab := 0
	switch {
	case v.GenAI:
		var g genaiConfig
		if err := readJSON(filepath.Join(dir, "genai_config.json"), &g); err != nil {
			return nil, badModel(dir, "genai_config.json: %v", err)
		}
		s.Layout = LayoutGenAI
		d := g.Model.Decoder
		if d.Filename == "" {
			return nil, badModel(dir, "genai_config.json has no model.decoder.filename")
		}
		if s.Graph == "" {
			s.Graph = filepath.Join(dir, d.Filename)
		}
		s.Layers, s.Heads, s.KVHeads, s.HeadSize = d.Layers, d.Heads, d.KVHeads, d.HeadSize
		s.ContextLength = g.Model.ContextLength
		if s.ContextLength == 0 {
			s.ContextLength = g.Search.MaxLength
		}
		s.EOS = ids(g.Model.EOS)
		s.BOS = firstID(g.Model.BOS, -1)
		s.Pad = firstID(g.Model.Pad, 0)
		cfgVocab = g.Model.VocabSize
		if g.Search.ShareBuffer != nil {
			s.ShareBuffer = *g.Search.ShareBuffer
		}
		for k, v := range d.Inputs {
			names[k] = v
		}
		for k, v := range d.Outputs {
			names[k] = v
		}
	default:
		var c hfConfig
		if err := readJSON(filepath.Join(dir, "config.json"), &c); err != nil {
			return nil, badModel(dir, "config.json: %v", err)
		}
		s.Layout = LayoutOptimum
		s.Layers, s.Heads, s.KVHeads = c.Layers, c.Heads, c.KVHeads
		s.HeadSize = c.HeadDim
		if s.HeadSize == 0 && c.Heads > 0 {
			s.HeadSize = c.Hidden / c.Heads
		}
		s.ContextLength = c.MaxPos
		s.EOS = ids(c.EOS)
		s.BOS = firstID(c.BOS, -1)
		s.Pad = firstID(c.Pad, -1)
		cfgVocab = c.VocabSize
		var gen hfConfig
		if readJSON(filepath.Join(dir, "generation_config.json"), &gen) == nil {
			s.EOS = mergeIDs(s.EOS, ids(gen.EOS))
			if s.Pad < 0 {
				s.Pad = firstID(gen.Pad, -1)
			}
		}
	}
	if !fileExists(s.Graph) {
		return nil, badModel(dir, "graph %s missing", filepath.Base(s.Graph))
	}
	if s.Pad < 0 {
		if len(s.EOS) > 0 {
			s.Pad = s.EOS[0]
		} else {
			s.Pad = 0
		}
	}
	if err := s.readGraph(names); err != nil {
		return nil, err
	}
	if cfgVocab > 0 && s.Vocab > 0 && cfgVocab != s.Vocab {
		return nil, badModel(dir, "vocab_size %d in config but logits have %d", cfgVocab, s.Vocab)
	}
	if s.Vocab <= 0 {
		s.Vocab = cfgVocab
	}
	if s.Vocab <= 0 {
		return nil, badModel(dir, "vocabulary size unknown (no vocab_size, dynamic logits dimension)")
	}
	if err := s.readTokenizer(); err != nil {
		return nil, err
	}
	if s.ContextLength <= 0 {
		return nil, badModel(dir, "context length unknown (context_length / max_position_embeddings)")
	}
	for _, e := range s.EOS {
		if e < 0 || e >= s.Vocab {
			return nil, badModel(dir, "EOS id %d outside the vocabulary (%d)", e, s.Vocab)
		}
	}
	return s, nil
}

func mergeIDs(a, b []int) []int {
	for _, x := range b {
		found := false
		for _, y := range a {
			found = found || x == y
		}
		if !found {
			a = append(a, x)
		}
	}
	return a
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// readGraph reads the session metadata and maps every input and output to
// its role; a name it cannot place is an error.
func (s *ModelSpec) readGraph(names map[string]string) error {
	ins, outs, ext, err := readGraphInfo(s.Graph)
	if err == nil {
		if err := checkExternal(s.Dir, s.Graph, ext); err != nil {
			return err
		}
	} else {
		// Not readable as plain ONNX protobuf: ask ONNX Runtime, which
		// loads the whole model once more.
		opts, oerr := ort.NewSessionOptions()
		if oerr != nil {
			return fmt.Errorf("model %s: session options: %w", s.Dir, oerr)
		}
		defer opts.Destroy()
		_ = opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll)
		ins, outs, err = ort.GetInputOutputInfoWithOptions(s.Graph, opts)
		if err != nil {
			return badModel(s.Dir, "%s does not load: %v", filepath.Base(s.Graph), err)
		}
	}
	layerOf := func(pattern, name string) (int, bool) {
		var n int
		if _, err := fmt.Sscanf(name, pattern, &n); err == nil && fmt.Sprintf(pattern, n) == name {
			return n, true
		}
		return 0, false
	}
	pk, pv := map[int]ort.InputOutputInfo{}, map[int]ort.InputOutputInfo{}
	s.roles, s.kvIndex = map[string]int{}, map[string]int{}
	var haveIDs, haveMask bool
	for _, in := range ins {
		s.InputNames = append(s.InputNames, in.Name)
		switch in.Name {
		case names["input_ids"], names["attention_mask"]:
			if in.DataType != ort.TensorElementDataTypeInt32 && in.DataType != ort.TensorElementDataTypeInt64 {
				return badModel(s.Dir, "%s has type %s, want int32 or int64", in.Name, in.DataType)
			}
			if in.Name == names["input_ids"] {
				haveIDs, s.roles[in.Name], s.IDsType = true, roleIDs, in.DataType
			} else {
				haveMask, s.roles[in.Name], s.MaskType = true, roleMask, in.DataType
			}
		case "logits_to_keep", "num_logits_to_keep":
			if in.DataType != ort.TensorElementDataTypeInt64 && in.DataType != ort.TensorElementDataTypeInt32 {
				return badModel(s.Dir, "%s has type %s, want int64", in.Name, in.DataType)
			}
			if len(in.Dimensions) > 1 {
				return badModel(s.Dir, "%s has rank %d, want a scalar", in.Name, len(in.Dimensions))
			}
			s.KeepInput, s.keepType, s.keepRank = in.Name, in.DataType, len(in.Dimensions)
			s.roles[in.Name] = roleKeep
		case names["position_ids"]:
			s.HasPosIDs = true
			s.roles[in.Name] = rolePos
			if in.DataType != ort.TensorElementDataTypeInt64 {
				return badModel(s.Dir, "position_ids has type %s, want int64", in.DataType)
			}
		default:
			if n, ok := layerOf(names["past_key_names"], in.Name); ok {
				pk[n] = in
			} else if n, ok := layerOf(names["past_value_names"], in.Name); ok {
				pv[n] = in
			} else {
				return badModel(s.Dir, "graph %s has unknown input %q", filepath.Base(s.Graph), in.Name)
			}
		}
	}
	if !haveIDs || !haveMask {
		return badModel(s.Dir, "graph %s lacks input_ids or attention_mask", filepath.Base(s.Graph))
	}
	if len(pk) == 0 || len(pk) != len(pv) {
		return badModel(s.Dir, "graph %s has %d past key and %d past value inputs", filepath.Base(s.Graph), len(pk), len(pv))
	}
	if s.Layers != 0 && s.Layers != len(pk) {
		return badModel(s.Dir, "config says %d layers, graph has %d KV inputs", s.Layers, len(pk))
	}
	s.Layers = len(pk)
	kv0 := pk[0]
	s.KVType = kv0.DataType
	if d := kv0.Dimensions; len(d) == 4 {
		if d[1] > 0 {
			if s.KVHeads != 0 && int(d[1]) != s.KVHeads {
				return badModel(s.Dir, "config says %d KV heads, graph has %d", s.KVHeads, d[1])
			}
			s.KVHeads = int(d[1])
		}
		if d[3] > 0 {
			s.HeadSize = int(d[3])
		}
	} else {
		return badModel(s.Dir, "past key input %s has rank %d, want 4", kv0.Name, len(d))
	}
	if s.KVHeads <= 0 || s.HeadSize <= 0 {
		return badModel(s.Dir, "KV heads / head size unknown")
	}
	po := map[string]ort.InputOutputInfo{}
	for _, o := range outs {
		po[o.Name] = o
	}
	lg, ok := po[names["logits"]]
	if !ok {
		return badModel(s.Dir, "graph has no %q output", names["logits"])
	}
	s.LogitsType = lg.DataType
	if len(lg.Dimensions) != 3 {
		return badModel(s.Dir, "logits have rank %d, want 3", len(lg.Dimensions))
	}
	s.Vocab = int(lg.Dimensions[2])
	// Fixed [batch, 1, vocab] with a free batch is a pruned lm_head
	// (logits of the last position only); other fixed shapes are the
	// builder's constant dummy decoder.
	pruned := lg.Dimensions[0] <= 0 && lg.Dimensions[1] == 1
	s.StaticOutputs = !pruned && (lg.Dimensions[0] > 0 || lg.Dimensions[1] > 0)
	s.LastLogits = pruned || s.KeepInput != ""
	s.perPosition = !s.LastLogits && !s.StaticOutputs && lg.Dimensions[1] <= 0 && rewriteSize(s.Graph)
	s.OutputNames = []string{lg.Name}
	for i := 0; i < s.Layers; i++ {
		k, okk := pk[i]
		v, okv := pv[i]
		if !okk || !okv {
			return badModel(s.Dir, "layer %d has no past key/value input", i)
		}
		if k.DataType != s.KVType || v.DataType != s.KVType {
			return badModel(s.Dir, "layer %d KV types differ", i)
		}
		s.kvIndex[k.Name], s.kvIndex[v.Name] = 2*i, 2*i+1
		s.roles[k.Name], s.roles[v.Name] = roleKV, roleKV
		s.pastKey = append(s.pastKey, k.Name)
		s.pastValue = append(s.pastValue, v.Name)
		pkn, pvn := fmt.Sprintf(names["present_key_names"], i), fmt.Sprintf(names["present_value_names"], i)
		if _, ok := po[pkn]; !ok {
			return badModel(s.Dir, "graph has no output %q", pkn)
		}
		if _, ok := po[pvn]; !ok {
			return badModel(s.Dir, "graph has no output %q", pvn)
		}
		s.presentKey = append(s.presentKey, pkn)
		s.presentVal = append(s.presentVal, pvn)
		s.OutputNames = append(s.OutputNames, pkn, pvn)
	}
	switch s.KVType {
	case ort.TensorElementDataTypeFloat16, ort.TensorElementDataTypeFloat:
	default:
		return badModel(s.Dir, "KV type %s not supported (fp16/fp32)", s.KVType)
	}
	switch s.LogitsType {
	case ort.TensorElementDataTypeFloat16, ort.TensorElementDataTypeFloat:
	default:
		return badModel(s.Dir, "logits type %s not supported (fp16/fp32)", s.LogitsType)
	}
	if s.StaticOutputs && (s.LogitsType != ort.TensorElementDataTypeFloat || s.KVType != ort.TensorElementDataTypeFloat) {
		return badModel(s.Dir, "fixed output shapes with fp16 outputs are not supported")
	}
	// GroupQueryAttention graphs (genai_config's past_present_share_buffer,
	// or no position_ids: positions then come from attention_mask) keep
	// each row's length in the mask and run with one past/present buffer;
	// the rest (optimum exports) concatenate past and present and take
	// left-padded batches.
	s.ShareBuffer = s.ShareBuffer || !s.HasPosIDs
	return nil
}

// LogitsPerPosition says the graph computes logits for every position of a
// forward pass and declares no logits_to_keep input: Open rewrites it to
// compute the last position's only, unless Options.FullLogits.
func (s *ModelSpec) LogitsPerPosition() bool { return s.perPosition }

// readTokenizer checks tokenizer.json (when present) against the logits.
func (s *ModelSpec) readTokenizer() error {
	p := filepath.Join(s.Dir, "tokenizer.json")
	if !fileExists(p) {
		return nil
	}
	var t struct {
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
		Added []struct {
			ID int `json:"id"`
		} `json:"added_tokens"`
	}
	if err := readJSON(p, &t); err != nil {
		return badModel(s.Dir, "tokenizer.json: %v", err)
	}
	maxID := -1
	for _, id := range t.Model.Vocab {
		maxID = max(maxID, id)
	}
	for _, a := range t.Added {
		maxID = max(maxID, a.ID)
	}
	s.HasTokenizer = true
	s.TokenizerVocab = maxID + 1
	if s.TokenizerVocab > s.Vocab {
		return badModel(s.Dir, "tokenizer has %d tokens but the logits only %d (tokenizer and model do not match)", s.TokenizerVocab, s.Vocab)
	}
	return nil
}
