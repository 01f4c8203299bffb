package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/llsum/llsum/internal/errclass"
)

// Files read by Load in a model folder.
const (
	tokenizerFile        = "tokenizer.json"
	tokenizerConfigFile  = "tokenizer_config.json"
	generationConfigFile = "generation_config.json"
)

// Load reads a Hugging Face tokenizer. path is either a model folder holding
// tokenizer.json (and usually tokenizer_config.json, optionally
// generation_config.json) or the tokenizer.json file itself, in which case
// the config files are read from beside it when present.
//
// Only the byte-level BPE kind of Llama 3.x is supported; any other kind
// (another model type, normalizer, pre-tokenizer or decoder) fails here with
// an error naming it. Errors are classified fatal (internal/errclass): a run
// cannot go on without its tokenizer.
func Load(path string) (*Tokenizer, error) {
	t, err := load(path)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	return t, nil
}

func load(path string) (*Tokenizer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	dir, file := path, filepath.Join(path, tokenizerFile)
	if !fi.IsDir() {
		dir, file = filepath.Dir(path), path
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	t, err := parseTokenizer(data)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", file, err)
	}
	cfgFile := filepath.Join(dir, tokenizerConfigFile)
	if data, err := os.ReadFile(cfgFile); err == nil {
		if err := t.applyConfig(data); err != nil {
			return nil, fmt.Errorf("load tokenizer %s: %w", cfgFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	genFile := filepath.Join(dir, generationConfigFile)
	if data, err := os.ReadFile(genFile); err == nil {
		if err := t.applyGenerationConfig(data); err != nil {
			return nil, fmt.Errorf("load tokenizer %s: %w", genFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	return t, nil
}

// hfTokenizer is the part of tokenizer.json that Load reads.
type hfTokenizer struct {
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	AddedTokens   []hfAddedToken  `json:"added_tokens"`
	Model         struct {
		Type                    string          `json:"type"`
		Vocab                   json.RawMessage `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
		IgnoreMerges            bool            `json:"ignore_merges"`
		ByteFallback            bool            `json:"byte_fallback"`
		Dropout                 *float64        `json:"dropout"`
		ContinuingSubwordPrefix string          `json:"continuing_subword_prefix"`
		EndOfWordSuffix         string          `json:"end_of_word_suffix"`
	} `json:"model"`
}

// hfAddedToken is one entry of tokenizer.json's added_tokens.
type hfAddedToken struct {
	ID      int    `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

// component is the common shape of the tokenizer.json pipeline parts.
type component struct {
	Type           string            `json:"type"`
	Pretokenizers  []json.RawMessage `json:"pretokenizers"`
	Processors     []json.RawMessage `json:"processors"`
	Pattern        map[string]string `json:"pattern"`
	Behavior       string            `json:"behavior"`
	Invert         bool              `json:"invert"`
	AddPrefixSpace bool              `json:"add_prefix_space"`
	UseRegex       bool              `json:"use_regex"`
	Single         []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
}

func isNull(m json.RawMessage) bool {
	m = bytes.TrimSpace(m)
	return len(m) == 0 || string(m) == "null"
}

func parseComponent(m json.RawMessage, what string) (component, error) {
	var c component
	if err := json.Unmarshal(m, &c); err != nil {
		return c, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// parseTokenizer builds a Tokenizer from the contents of tokenizer.json.
func parseTokenizer(data []byte) (*Tokenizer, error) {
	var hf hfTokenizer
	if err := json.Unmarshal(data, &hf); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	m := &hf.Model
	switch {
	case m.Type != "BPE":
		return nil, fmt.Errorf("unsupported tokenizer model type %q (only byte-level BPE such as Llama 3 is supported)", m.Type)
	case m.ByteFallback:
		return nil, errors.New("unsupported BPE with byte_fallback (SentencePiece-style, e.g. Llama 2); only byte-level BPE such as Llama 3 is supported")
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, errors.New("unsupported BPE with dropout")
	case m.ContinuingSubwordPrefix != "" || m.EndOfWordSuffix != "":
		return nil, errors.New("unsupported BPE with a continuing_subword_prefix or end_of_word_suffix")
	case !isNull(hf.Normalizer):
		c, _ := parseComponent(hf.Normalizer, "normalizer")
		return nil, fmt.Errorf("unsupported normalizer %q (only byte-level BPE such as Llama 3, without normalizer, is supported)", c.Type)
	}
	if err := checkPreTokenizer(hf.PreTokenizer); err != nil {
		return nil, err
	}
	if !isNull(hf.Decoder) {
		c, err := parseComponent(hf.Decoder, "decoder")
		if err != nil {
			return nil, err
		}
		if c.Type != "ByteLevel" {
			return nil, fmt.Errorf("unsupported decoder %q (want ByteLevel)", c.Type)
		}
	}

	t := &Tokenizer{
		ignoreMerges: m.IgnoreMerges,
		special:      make(map[string]int32, len(hf.AddedTokens)),
		bos:          -1,
	}
	t.caches.New = newWordCache
	bl := newByteLevelTable()
	if err := t.parseVocab(m.Vocab, bl, hf.AddedTokens); err != nil {
		return nil, err
	}
	if err := t.parseMerges(m.Merges, bl); err != nil {
		return nil, err
	}
	for _, a := range hf.AddedTokens {
		if a.ID < 0 || a.Content == "" {
			return nil, fmt.Errorf("added_tokens: bad token %d %q", a.ID, a.Content)
		}
		t.tokens[a.ID] = a.Content
		t.known[a.ID] = true
		t.isSpecial[a.ID] = a.Special
		t.special[a.Content] = int32(a.ID)
		t.specialFirst[a.Content[0]] = true
	}
	lens := map[int]bool{}
	for s := range t.special {
		lens[len(s)] = true
	}
	for n := range lens {
		t.specialLens = append(t.specialLens, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(t.specialLens)))
	if err := t.parsePostProcessor(hf.PostProcessor); err != nil {
		return nil, err
	}
	return t, nil
}

// checkPreTokenizer accepts the Llama 3 pre-tokenizer: a Split on the Llama 3
// pattern followed by a ByteLevel step without its own regex.
func checkPreTokenizer(raw json.RawMessage) error {
	if isNull(raw) {
		return errors.New("unsupported tokenizer without pre_tokenizer (only byte-level BPE such as Llama 3 is supported)")
	}
	c, err := parseComponent(raw, "pre_tokenizer")
	if err != nil {
		return err
	}
	if c.Type != "Sequence" || len(c.Pretokenizers) != 2 {
		return fmt.Errorf("unsupported pre_tokenizer %q (want the Llama 3 Sequence of Split and ByteLevel)", c.Type)
	}
	split, err := parseComponent(c.Pretokenizers[0], "pre_tokenizer")
	if err != nil {
		return err
	}
	if split.Type != "Split" || split.Pattern["Regex"] != llama3Pattern || split.Behavior != "Isolated" || split.Invert {
		return fmt.Errorf("unsupported pre_tokenizer %s with pattern %q (only the Llama 3 pattern is supported)", split.Type, split.Pattern["Regex"])
	}
	bl, err := parseComponent(c.Pretokenizers[1], "pre_tokenizer")
	if err != nil {
		return err
	}
	if bl.Type != "ByteLevel" || bl.AddPrefixSpace || bl.UseRegex {
		return fmt.Errorf("unsupported pre_tokenizer step %q (want ByteLevel without prefix space or regex)", bl.Type)
	}
	return nil
}

// parseVocab reads the vocab object (byte-level token string -> id) and
// sizes the id tables to hold it and the added tokens.
func (t *Tokenizer) parseVocab(raw json.RawMessage, bl *byteLevelTable, added []hfAddedToken) error {
	type entry struct {
		raw string
		id  int
	}
	entries := make([]entry, 0, 1<<17)
	sc := &scanner{data: raw}
	var buf []byte
	size := 0
	err := sc.list('{', '}', func() error {
		tok, err := sc.str()
		if err != nil {
			return err
		}
		if err := sc.expect(':'); err != nil {
			return err
		}
		id, err := sc.int()
		if err != nil {
			return err
		}
		if id < 0 || id > 1<<24 {
			return fmt.Errorf("token %q has id %d", tok, id)
		}
		var ok bool
		if buf, ok = bl.appendRaw(buf[:0], tok); !ok {
			return fmt.Errorf("token %q is not byte-level (only byte-level BPE such as Llama 3 is supported)", tok)
		}
		entries = append(entries, entry{string(buf), id})
		size = max(size, id+1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("vocab: %w", err)
	}
	for _, a := range added {
		size = max(size, a.ID+1)
	}
	t.vocab = newVocabTable(len(entries))
	t.tokens = make([]string, size)
	t.isSpecial = make([]bool, size)
	t.known = make([]bool, size)
	for _, e := range entries {
		t.vocab.put(e.raw, int32(e.id))
		t.tokens[e.id] = e.raw
		t.known[e.id] = true
	}
	for b := 0; b < 256; b++ {
		id, ok := t.vocab.get(string([]byte{byte(b)}))
		if !ok {
			return fmt.Errorf("vocab: no token for byte 0x%02x (not a byte-level vocabulary)", b)
		}
		t.byteID[b] = id
	}
	return nil
}

// parseMerges reads the merges list, in either of its formats: "a b"
// strings or [a, b] pairs. A merge's rank is its index.
func (t *Tokenizer) parseMerges(raw json.RawMessage, bl *byteLevelTable) error {
	type rule struct {
		key uint64
		m   merge
	}
	rules := make([]rule, 0, 1<<18)
	sc := &scanner{data: raw}
	var buf []byte
	rank := 0
	err := sc.list('[', ']', func() error {
		var a, b []byte
		var err error
		if sc.peek() == '[' {
			err = sc.list('[', ']', func() error {
				s, err := sc.str()
				switch {
				case err != nil:
					return err
				case a == nil:
					a = s
				case b == nil:
					b = s
				default:
					return fmt.Errorf("entry %d has more than two parts", rank)
				}
				return nil
			})
		} else {
			var s []byte
			s, err = sc.str()
			if i := bytes.IndexByte(s, ' '); i > 0 {
				a, b = s[:i], s[i+1:]
			}
		}
		if err != nil {
			return err
		}
		if len(a) == 0 || len(b) == 0 {
			return fmt.Errorf("entry %d is not a pair", rank)
		}
		buf = buf[:0]
		var okA, okB bool
		buf, okA = bl.appendRaw(buf, a)
		na := len(buf)
		buf, okB = bl.appendRaw(buf, b)
		ida, okA2 := t.vocab.get(string(buf[:na]))
		idb, okB2 := t.vocab.get(string(buf[na:]))
		idm, okM := t.vocab.get(string(buf))
		if !okA || !okB || !okA2 || !okB2 || !okM {
			return fmt.Errorf("entry %d (%q, %q) uses a token not in the vocab", rank, a, b)
		}
		rules = append(rules, rule{pairKey(ida, idb), merge{rank: int32(rank), id: idm}})
		rank++
		return nil
	})
	if err != nil {
		return fmt.Errorf("merges: %w", err)
	}
	// A repeated pair takes its last rank, as in Hugging Face's BPE, which
	// collects the list into a hash map.
	t.merges = newMergeTable(len(rules))
	for _, r := range rules {
		t.merges.put(r.key, r.m)
	}
	return nil
}

// parsePostProcessor finds the special tokens the post-processor puts
// around a single sequence (Llama 3: <|begin_of_text|> before it).
func (t *Tokenizer) parsePostProcessor(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	c, err := parseComponent(raw, "post_processor")
	if err != nil {
		return err
	}
	parts := []component{c}
	if c.Type == "Sequence" {
		parts = parts[:0]
		for _, p := range c.Processors {
			pc, err := parseComponent(p, "post_processor")
			if err != nil {
				return err
			}
			parts = append(parts, pc)
		}
	}
	for _, p := range parts {
		switch p.Type {
		case "ByteLevel": // only adjusts offsets
		case "TemplateProcessing":
			seen := false
			for _, piece := range p.Single {
				switch {
				case piece.Sequence != nil:
					seen = true
				case piece.SpecialToken != nil:
					st, ok := p.SpecialTokens[piece.SpecialToken.ID]
					if !ok {
						return fmt.Errorf("post_processor: special token %q not defined", piece.SpecialToken.ID)
					}
					if seen {
						t.suffix = append(t.suffix, st.IDs...)
					} else {
						t.prefix = append(t.prefix, st.IDs...)
					}
				}
			}
		default:
			return fmt.Errorf("unsupported post_processor %q", p.Type)
		}
	}
	return nil
}

// hfConfig is the part of tokenizer_config.json that Load reads.
type hfConfig struct {
	BOSToken     json.RawMessage `json:"bos_token"`
	EOSToken     json.RawMessage `json:"eos_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
}

// tokenName reads a token given as a string or as {"content": ...}.
func tokenName(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", err
	}
	return obj.Content, nil
}

func (t *Tokenizer) applyConfig(data []byte) error {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	bos, err := tokenName(c.BOSToken)
	if err != nil {
		return fmt.Errorf("bos_token: %w", err)
	}
	eos, err := tokenName(c.EOSToken)
	if err != nil {
		return fmt.Errorf("eos_token: %w", err)
	}
	t.bosToken, t.eosToken = bos, eos
	if bos != "" {
		id, ok := t.special[bos]
		if !ok {
			return fmt.Errorf("bos_token %q is not an added token", bos)
		}
		t.bos = int(id)
	}
	if eos != "" {
		id, ok := t.special[eos]
		if !ok {
			return fmt.Errorf("eos_token %q is not an added token", eos)
		}
		t.addEOS(int(id))
	}
	if !isNull(c.ChatTemplate) {
		var s string
		if err := json.Unmarshal(c.ChatTemplate, &s); err == nil {
			t.chatTemplate = s
		} else {
			var named []struct {
				Name     string `json:"name"`
				Template string `json:"template"`
			}
			if err := json.Unmarshal(c.ChatTemplate, &named); err != nil {
				return fmt.Errorf("chat_template: %w", err)
			}
			for _, n := range named {
				if n.Name == "default" {
					t.chatTemplate = n.Template
				}
			}
		}
	}
	return nil
}

// applyGenerationConfig adds generation_config.json's eos_token_id (a number
// or a list: Llama 3.x Instruct stops on <|eot_id|>, <|eom_id|> and
// <|end_of_text|>).
func (t *Tokenizer) applyGenerationConfig(data []byte) error {
	var c struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if isNull(c.EOS) {
		return nil
	}
	var ids []int
	var one int
	if err := json.Unmarshal(c.EOS, &one); err == nil {
		ids = []int{one}
	} else if err := json.Unmarshal(c.EOS, &ids); err != nil {
		return fmt.Errorf("eos_token_id: %w", err)
	}
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || !t.known[id] {
			return fmt.Errorf("eos_token_id %d is not in the vocabulary", id)
		}
		t.addEOS(id)
	}
	return nil
}

func (t *Tokenizer) addEOS(id int) {
	for _, e := range t.eos {
		if e == id {
			return
		}
	}
	t.eos = append(t.eos, id)
}
