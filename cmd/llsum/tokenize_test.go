package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/tokenizer/tokenizertest"
)

func TestTokenize(t *testing.T) {
	dir := tokenizertest.LlamaDir(t)
	file := filepath.Join(dir, "tokenizer.json")
	for _, tc := range []struct {
		name  string
		opts  tokenizeOptions
		stdin string
		want  string
	}{
		{"ordinary", tokenizeOptions{Model: dir}, "Hello world<|eot_id|>", "[9906,1917,27,91,68,354,851,91,29]\n"},
		{"special", tokenizeOptions{Model: dir, Special: true}, "Hello world<|eot_id|>", "[9906,1917,128009]\n"},
		{"bos", tokenizeOptions{Tokenizer: file, BOS: true}, "Hello world", "[128000,9906,1917]\n"},
		{"empty", tokenizeOptions{Model: dir}, "", "[]\n"},
		{"empty_bos", tokenizeOptions{Model: dir, BOS: true}, "", "[128000]\n"},
		{"count", tokenizeOptions{Model: dir, Count: true}, "The quick brown fox jumps over the lazy dog.", "10\n"},
		{"count_json", tokenizeOptions{Model: dir, Count: true, JSON: true}, "Hello world", `{"count":2}` + "\n"},
		{"json", tokenizeOptions{Model: dir, JSON: true}, "Hi <b>", `{"count":4,"ids":[13347,366,65,29],"tokens":["Hi"," <","b",">"]}` + "\n"},
		{"decode_json_array", tokenizeOptions{Model: dir, Decode: true}, "[9906, 1917, 128009]\n", "Hello world<|eot_id|>"},
		{"decode_numbers", tokenizeOptions{Model: dir, Decode: true}, "9906 1917,13", "Hello world."},
		{"decode_json", tokenizeOptions{Model: dir, Decode: true, JSON: true}, "[9906]", `{"text":"Hello"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			g := &globalOptions{stdin: strings.NewReader(tc.stdin), stdout: &out, stderr: &out}
			if err := finalizeAndTokenize(g, tc.opts); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestTokenizeErrors(t *testing.T) {
	dir := tokenizertest.LlamaDir(t)
	for _, tc := range []struct {
		name  string
		opts  tokenizeOptions
		stdin string
		want  string
	}{
		{"no_tokenizer", tokenizeOptions{}, "x", "give --model DIR or --tokenizer FILE"},
		{"both", tokenizeOptions{Model: dir, Tokenizer: dir}, "x", "not both"},
		{"missing_file", tokenizeOptions{Model: t.TempDir()}, "x", "tokenizer.json: no such file"},
		{"unsupported", tokenizeOptions{Tokenizer: filepath.Join("..", "..", "infer", "tokenizer", "testdata", "wordpiece.json")}, "x", `unsupported tokenizer model type "WordPiece"`},
		{"bad_id", tokenizeOptions{Model: dir, Decode: true}, "[1, 128256]", "token id 128256 is not in the vocabulary"},
		{"bad_number", tokenizeOptions{Model: dir, Decode: true}, "1 two", `"two" is not a token id`},
		{"decode_count", tokenizeOptions{Model: dir, Decode: true, Count: true}, "1", "does not combine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LLSUM_MODEL", "")
			var out bytes.Buffer
			g := &globalOptions{stdin: strings.NewReader(tc.stdin), stdout: &out, stderr: &out}
			err := finalizeAndTokenize(g, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if code, _ := exitCode(context.Background(), err); code != exitUsage {
				t.Fatalf("err %v does not exit with code %d", err, exitUsage)
			}
		})
	}
}

// finalizeAndTokenize checks opts as PreRunE does, then runs tokenize.
func finalizeAndTokenize(g *globalOptions, opts tokenizeOptions) error {
	if err := opts.Finalize(); err != nil {
		return err
	}
	return runTokenize(context.Background(), g, opts, nil)
}
