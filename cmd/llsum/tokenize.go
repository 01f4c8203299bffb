package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/envconfig"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// tokenizeOptions are the flags of `llsum tokenize`.
type tokenizeOptions struct {
	Model     string
	Tokenizer string
	BOS       bool
	Special   bool
	Count     bool
	JSON      bool
	Decode    bool

	path string // tokenizer.json or model folder, set by Finalize
}

// AddFlags registers tokenize's flags.
func (o *tokenizeOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Model, "model", "", "model folder holding tokenizer.json (default $LLSUM_MODEL)")
	f.StringVar(&o.Tokenizer, "tokenizer", "", "tokenizer.json file (instead of --model)")
	f.BoolVar(&o.BOS, "bos", false, "add the begin-of-text token, like add_special_tokens=True")
	f.BoolVar(&o.Special, "special", false, "turn special-token text such as <|eot_id|> into special tokens (never for document text)")
	f.BoolVar(&o.Count, "count", false, "print the number of tokens only")
	f.BoolVar(&o.JSON, "json", false, "print a JSON object: count, ids and each token's text (with --decode: the text)")
	f.BoolVar(&o.Decode, "decode", false, "read token ids (a JSON array or numbers separated by spaces or commas) and print their text")
}

func newTokenizeCmd(g *globalOptions) *cobra.Command {
	var opts tokenizeOptions
	cmd := &cobra.Command{
		Use:   "tokenize (--model DIR | --tokenizer FILE) [flags] < TEXT",
		Short: "Print the token ids of text read on stdin (or decode ids)",
		Long: `Tokenize text read on stdin with a model's Hugging Face tokenizer (Llama 3.x
byte-level BPE) and print the ids as a JSON array, exactly as the Hugging
Face tokenizer would encode it. The whole input is encoded, including a
final newline.

Special-token text such as <|eot_id|> in the input stays ordinary text
unless --special is given: that is how llsum encodes document text, so a
document cannot end a turn or open a header of the chat prompt.

With --decode, stdin holds ids and the exact text is printed (no clean-up of
spaces; special tokens appear as their names).`,
		Example: `  echo -n 'Hello world' | llsum tokenize --model ~/models/llama-3.2-3b
  llsum tokenize --tokenizer tokenizer.json --count < report.txt
  echo '[9906, 1917]' | llsum tokenize --model ~/models/llama-3.2-3b --decode`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usagef("tokenize reads stdin and takes no arguments")
			}
			return nil
		},
		PreRunE: func(*cobra.Command, []string) error { return opts.Finalize() },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTokenize(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// Finalize checks the flag combinations and picks the tokenizer.
func (o *tokenizeOptions) Finalize() error {
	o.path = o.Tokenizer
	switch {
	case o.Model != "" && o.Tokenizer != "":
		return usagef("tokenize: give --model or --tokenizer, not both")
	case o.Model != "":
		o.path = o.Model
	case o.path == "":
		o.path = envconfig.Model()
	}
	if o.path == "" {
		return usagef("tokenize: give --model DIR or --tokenizer FILE (or set LLSUM_MODEL)")
	}
	if o.Decode && (o.BOS || o.Special || o.Count) {
		return usagef("tokenize: --decode does not combine with --bos, --special or --count")
	}
	return nil
}

// runTokenize is `llsum tokenize`.
func runTokenize(ctx context.Context, g *globalOptions, opts tokenizeOptions, _ []string) error {
	tok, err := tokenizer.Load(opts.path)
	if err != nil {
		return configError(err)
	}
	input, err := io.ReadAll(g.stdin)
	if err != nil {
		return fmt.Errorf("tokenize: read stdin: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.Decode {
		return decodeIDs(g.stdout, tok, string(input), opts.JSON)
	}
	ids := tok.Encode(string(input), tokenizer.EncodeOptions{AddSpecial: opts.BOS, Special: opts.Special})
	switch {
	case opts.JSON && opts.Count:
		return writeJSON(g.stdout, map[string]int{"count": len(ids)})
	case opts.JSON:
		tokens := make([]string, len(ids))
		for i, id := range ids {
			b, _ := tok.AppendDecoded(nil, []int{id}, false)
			tokens[i] = string(b)
		}
		return writeJSON(g.stdout, struct {
			Count  int      `json:"count"`
			IDs    []int    `json:"ids"`
			Tokens []string `json:"tokens"`
		}{len(ids), ids, tokens})
	case opts.Count:
		_, err = fmt.Fprintln(g.stdout, len(ids))
		return err
	}
	if ids == nil {
		ids = []int{}
	}
	return writeJSON(g.stdout, ids)
}

// decodeIDs prints the text of the ids in input.
func decodeIDs(w io.Writer, tok *tokenizer.Tokenizer, input string, asJSON bool) error {
	var ids []int
	if s := strings.TrimSpace(input); strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return usagef("tokenize --decode: stdin is not a JSON array of ids: %w", err)
		}
	} else {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
			id, err := strconv.Atoi(f)
			if err != nil {
				return usagef("tokenize --decode: %q is not a token id", f)
			}
			ids = append(ids, id)
		}
	}
	text, err := tok.Decode(ids)
	if err != nil {
		return usagef("tokenize --decode: %w", err)
	}
	if asJSON {
		return writeJSON(w, map[string]string{"text": text})
	}
	_, err = io.WriteString(w, text)
	return err
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
