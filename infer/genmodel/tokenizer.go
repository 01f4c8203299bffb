package genmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// tokenizerSpec is a synthetic byte-level BPE tokenizer in the Hugging Face
// tokenizer.json format Llama 3 uses: 256 byte tokens, merges up to the
// regular vocabulary size, special tokens at the top of the vocabulary.
type tokenizerSpec struct {
	vocab    []string // regular tokens by id
	merges   []string // "left right"
	specials []string // ids len(vocab)...
	bos, eos string
}

// llama3Split is the Llama 3 pre-tokenizer regex.
const llama3Split = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// chatTemplate renders Llama 3.2 Instruct prompts (system header with the
// knowledge and current date, then each message); tool calls are not
// supported by these test models.
const chatTemplate = `{{- bos_token }}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
`

// byteChars returns GPT-2's byte-to-unicode table in Llama 3's id order:
// printable bytes first, then the others mapped above U+0100.
func byteChars() []string {
	var order []int
	var chars []string
	printable := map[int]bool{}
	for _, r := range [][2]int{{'!', '~'}, {0xa1, 0xac}, {0xae, 0xff}} {
		for b := r[0]; b <= r[1]; b++ {
			printable[b] = true
			order = append(order, b)
			chars = append(chars, string(rune(b)))
		}
	}
	n := 0
	for b := 0; b < 256; b++ {
		if !printable[b] {
			order = append(order, b)
			chars = append(chars, string(rune(256+n)))
			n++
		}
	}
	return chars
}

func specialNames(n int) []string {
	named := []string{"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"}
	out := make([]string, n)
	for i := range out {
		if i < len(named) {
			out[i] = named[i]
		} else {
			out[i] = fmt.Sprintf("<|reserved_special_token_%d|>", i-len(named)+3)
		}
	}
	return out
}

func newTokenizerSpec(c Config) *tokenizerSpec {
	regular := c.Vocab - c.specials()
	t := &tokenizerSpec{vocab: byteChars(), specials: specialNames(c.specials())}
	t.bos = t.specials[c.BOS-regular]
	t.eos = "<|eot_id|>"
	seen := map[string]bool{}
	for _, v := range t.vocab {
		seen[v] = true
	}
	// Grow words letter by letter: every token made so far (starting from
	// a space marker and the letters) is extended by each lowercase letter,
	// most frequent English letters first, until the vocabulary is full.
	rights := strings.Split("etaoinshrdlcumwfgypbvkjxqz", "")
	lefts := []string{"Ġ"}
	lefts = append(lefts, rights...)
	lefts = append(lefts, strings.Split("TAISCMBHWPDRFEGLNOUJKVYQXZ", "")...)
	for i := 0; len(t.vocab) < regular; i++ {
		left := lefts[i]
		for _, r := range rights {
			if len(t.vocab) == regular {
				break
			}
			tok := left + r
			if seen[tok] {
				continue
			}
			seen[tok] = true
			t.vocab = append(t.vocab, tok)
			t.merges = append(t.merges, left+" "+r)
			lefts = append(lefts, tok)
		}
	}
	return t
}

func (t *tokenizerSpec) addedTokens() []obj {
	out := make([]obj, len(t.specials))
	for i, s := range t.specials {
		out[i] = obj{"id": len(t.vocab) + i, "content": s, "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true}
	}
	return out
}

func (t *tokenizerSpec) tokenizerJSON() obj {
	bosID := len(t.vocab)
	for i, s := range t.specials {
		if s == t.bos {
			bosID += i
		}
	}
	bos := func(typeID int) obj { return obj{"SpecialToken": obj{"id": t.bos, "type_id": typeID}} }
	seq := func(id string, typeID int) obj { return obj{"Sequence": obj{"id": id, "type_id": typeID}} }
	return obj{
		"version":      "1.0",
		"truncation":   nil,
		"padding":      nil,
		"added_tokens": t.addedTokens(),
		"normalizer":   nil,
		"pre_tokenizer": obj{"type": "Sequence", "pretokenizers": []obj{
			{"type": "Split", "pattern": obj{"Regex": llama3Split}, "behavior": "Isolated", "invert": false},
			{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"post_processor": obj{"type": "Sequence", "processors": []obj{
			{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
			{"type": "TemplateProcessing",
				"single":         []obj{bos(0), seq("A", 0)},
				"pair":           []obj{bos(0), seq("A", 0), bos(1), seq("B", 1)},
				"special_tokens": obj{t.bos: obj{"id": t.bos, "ids": []int{bosID}, "tokens": []string{t.bos}}},
			},
		}},
		"decoder": obj{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": obj{
			"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
			"vocab": orderedVocab(t.vocab), "merges": t.merges,
		},
	}
}

func (t *tokenizerSpec) tokenizerConfig() obj {
	dec := obj{}
	for _, a := range t.addedTokens() {
		id := a["id"]
		delete(a, "id")
		dec[fmt.Sprint(id)] = a
	}
	return obj{
		"added_tokens_decoder":         dec,
		"bos_token":                    t.bos,
		"chat_template":                chatTemplate,
		"clean_up_tokenization_spaces": true,
		"eos_token":                    t.eos,
		"model_input_names":            []string{"input_ids", "attention_mask"},
		"model_max_length":             131072,
		"tokenizer_class":              "PreTrainedTokenizerFast",
	}
}

func (t *tokenizerSpec) specialTokensMap() obj {
	return obj{"bos_token": t.bos, "eos_token": t.eos}
}

// orderedVocab marshals as a JSON object token → id in id order, as
// tokenizer.json files list it.
type orderedVocab []string

func (v orderedVocab) MarshalJSON() ([]byte, error) {
	var b, k bytes.Buffer
	enc := json.NewEncoder(&k)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, tok := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		k.Reset()
		if err := enc.Encode(tok); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimSuffix(k.Bytes(), []byte("\n")))
		fmt.Fprintf(&b, ":%d", i)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
