package genmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
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
	var chars []string
	printable := map[int]bool{}
	for _, r := range [][2]int{{'!', '~'}, {0xa1, 0xac}, {0xae, 0xff}} {
		for b := r[0]; b <= r[1]; b++ {
			printable[b] = true
			chars = append(chars, string(rune(b)))
		}
	}
	n := 0
	for b := 0; b < 256; b++ {
		if !printable[b] {
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

// commonWords seed the merges so English text gets whole-word tokens; the
// rest of the vocabulary is filled by growing letter sequences.
const commonWords = `the of and to in is was for that with as on by it be at from are this or an which
his her their they have has had not but were been can will would there all one also more when who
other its into than some these them time only first new may used such two about after most many
out over up people so what use do if no she he we you any between each where through while during
under both those however world because same year years made state states work part well number
system data file files page pages text document documents section example value values function
should could must like just any how very much even back still way make see get well long little
own right old great high small large different important public national following without against
within before around another being since several several general information government
development report research process level group including given using based name order point
result results case form line set end found known called include includes process total
number city water history company family school country university power war life book human
science service services support program program second third time first last next early late
table figure chapter note notes source license software version user users code option options
command commands error errors list type types model models method methods analysis problem
problems question questions answer answers change changes local global network memory
support system systems control policy energy market health social economic political
international management community education technology business industry production`

// commonSuffixes are word endings given their own tokens.
const commonSuffixes = "ing ed tion tions ly er ers es est ent ment ments al ally ation ations ness ity ive able ible ous ance ence ic ical ize ized ise ism ist ure"

func newTokenizerSpec(c Config) *tokenizerSpec {
	regular := c.Vocab - c.specials()
	t := &tokenizerSpec{vocab: byteChars(), specials: specialNames(c.specials())}
	t.bos = t.specials[c.BOS-regular]
	t.eos = "<|eot_id|>"
	seen := map[string]bool{}
	for _, v := range t.vocab {
		seen[v] = true
	}
	// add merges left and right (both already tokens) into a new token.
	add := func(left, right string) bool {
		if len(t.vocab) == regular {
			return false
		}
		if tok := left + right; !seen[tok] {
			seen[tok] = true
			t.vocab = append(t.vocab, tok)
			t.merges = append(t.merges, left+" "+right)
		}
		return true
	}
	// chain builds s (byte-level characters) one character at a time.
	chain := func(s string) {
		chars := strings.Split(s, "")
		acc := chars[0]
		for _, ch := range chars[1:] {
			if !add(acc, ch) {
				return
			}
			acc += ch
		}
	}
	for _, ws := range []string{"ĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠ", "ĊĊĊĊ", "ĉĉĉĉ", "ĠĊ"} {
		chain(ws)
	}
	for _, w := range strings.Fields(commonWords) {
		chain("Ġ" + w)
		chain(w)
		chain("Ġ" + strings.ToUpper(w[:1]) + w[1:])
	}
	for _, sfx := range strings.Fields(commonSuffixes) {
		chain(sfx)
	}
	for _, p := range strings.Fields(`.Ċ .ĊĊ :Ċ ,Ċ )Ċ Ġ( Ġ" Ġ' Ġ- Ġ= Ġ{ Ġ} Ġ[ Ġ/ Ġ* Ġ+ Ġ< Ġ> Ġ& Ġ# Ġ$ Ġ% Ġ@ Ġ| ). ), (" ") ."`) {
		chain(p)
	}
	for n := 0; n < 1000; n++ { // Llama 3 splits numbers into runs of up to 3 digits
		chain(fmt.Sprint(n))
		if n < 100 {
			chain(fmt.Sprintf("%02d", n))
		}
		chain(fmt.Sprintf("%03d", n))
	}
	// Fill the rest by growing letter sequences, shortest first: every
	// token made here (starting from the space marker and the letters) is
	// extended by each lowercase letter, most frequent English letters first.
	rights := strings.Split("etaoinshrdlcumwfgypbvkjxqz", "")
	lefts := []string{"Ġ"}
	lefts = append(lefts, rights...)
	lefts = append(lefts, strings.Split("TAISCMBHWPDRFEGLNOUJKVYQXZ", "")...)
	for i := 0; len(t.vocab) < regular; i++ {
		for _, r := range rights {
			tok := lefts[i] + r
			if seen[tok] {
				continue
			}
			if !add(lefts[i], r) {
				break
			}
			lefts = append(lefts, tok)
		}
	}
	// These merges only grow tokens from the left, so a word is encoded
	// well only if its chain wins over merges inside it. Giving every merge
	// that starts with the space marker priority over the others makes the
	// chains of space-prefixed words (most words in running text) win.
	sort.SliceStable(t.merges, func(i, j int) bool {
		return strings.HasPrefix(t.merges[i], "Ġ") && !strings.HasPrefix(t.merges[j], "Ġ")
	})
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
