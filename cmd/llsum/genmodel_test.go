package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenModelCmd(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		files   []string
		layers  int
		noOut   bool
		wantErr string
		code    int
	}{
		{name: "genai tiny", args: []string{"--layers", "3"}, files: []string{"model.onnx", "genai_config.json", "tokenizer.json", "tokenizer_config.json"}, layers: 3},
		{name: "optimum fp16", args: []string{"--flavour", "optimum", "--dtype", "fp16"}, files: []string{"onnx/model_fp16.onnx", "config.json", "generation_config.json", "tokenizer.json"}, layers: 2},
		{name: "no out", args: []string{}, noOut: true, wantErr: "--out is required", code: exitUsage},
		{name: "bad preset", args: []string{"--preset", "7b"}, wantErr: "unknown preset", code: exitUsage},
		{name: "bad shape", args: []string{"--heads", "3"}, wantErr: "multiple of kv heads", code: exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			args := append([]string{"dev", "gen-model"}, tc.args...)
			if !tc.noOut {
				args = append(args, "--out", dir)
			}
			var stdout, stderr bytes.Buffer
			root := newRootCmd(strings.NewReader(""), &stdout, &stderr)
			root.SetArgs(args)
			err := root.ExecuteContext(context.Background())
			if tc.wantErr != "" {
				if code, _ := exitCode(context.Background(), err); err == nil || !strings.Contains(err.Error(), tc.wantErr) || code != tc.code {
					t.Fatalf("err = %v, want %q with code %d", err, tc.wantErr, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
			if !strings.Contains(stderr.String(), "wrote "+dir) {
				t.Errorf("stderr %q", stderr.String())
			}
			cfgFile := "genai_config.json"
			if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
				cfgFile = "config.json"
			}
			b, err := os.ReadFile(filepath.Join(dir, cfgFile))
			if err != nil {
				t.Fatal(err)
			}
			var c struct {
				Layers int `json:"num_hidden_layers"`
				Model  struct {
					Decoder struct {
						Layers int `json:"num_hidden_layers"`
					} `json:"decoder"`
				} `json:"model"`
			}
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			if got := max(c.Layers, c.Model.Decoder.Layers); got != tc.layers {
				t.Errorf("layers %d, want %d", got, tc.layers)
			}
		})
	}
}
