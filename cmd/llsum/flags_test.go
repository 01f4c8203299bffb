package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestChoiceFlags: the enum flags take their listed values (and their
// default), reject others while parsing with a message naming the flag
// and the values, and list the values in help.
func TestChoiceFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		get  func(*runOptions) string
		want string // value, or the error message
		bad  bool
	}{
		{nil, func(o *runOptions) string { return o.Format }, "md,json", false},
		{[]string{"--format", "json"}, func(o *runOptions) string { return o.Format }, "json", false},
		{[]string{"--format", "Markdown, JSON"}, func(o *runOptions) string { return o.Format }, "Markdown, JSON", false},
		{[]string{"--format", "pdf"}, nil, `--format "pdf": want md, json or md,json`, true},
		{[]string{"--format", "md,"}, nil, `--format "md,": want md, json or md,json`, true},
		{[]string{"--log-format", "json"}, func(o *runOptions) string { return o.LogFormat }, "json", false},
		{[]string{"--log-format", "xml"}, nil, `--log-format "xml": want text or json`, true},
		{[]string{"--pdf-engine", "pdfium"}, func(o *runOptions) string { return o.Extract.PDFEngine }, "pdfium", false},
		{[]string{"--pdf-engine", "mupdf"}, nil, `--pdf-engine "mupdf": want auto, ledongthuc or pdfium`, true},
		{[]string{"--backend", "openai"}, func(o *runOptions) string { return o.Backend.Backend }, "openai", false},
		{[]string{"--backend", ""}, func(o *runOptions) string { return o.Backend.Backend }, "", false},
		{[]string{"--backend", "magic"}, nil, `--backend "magic": want onnx, openai or extractive`, true},
		{[]string{"--style", "bullets"}, func(o *runOptions) string { return o.Style }, "bullets", false},
		{[]string{"--style", "haiku"}, nil, `--style "haiku": want brief, `, true},
		{[]string{"--device", "cuda:1"}, func(o *runOptions) string { return o.Backend.Device }, "cuda:1", false},
		{[]string{"--device", "CPU"}, func(o *runOptions) string { return o.Backend.Device }, "CPU", false},
		{[]string{"--device", "cuda:x"}, nil, `--device "cuda:x": want auto, cpu, cuda or cuda:N`, true},
		{[]string{"--device", "tpu"}, nil, `--device "tpu": want auto, cpu, cuda or cuda:N`, true},
	} {
		var o runOptions
		f := pflag.NewFlagSet("run", pflag.ContinueOnError)
		f.SetOutput(&bytes.Buffer{})
		o.AddFlags(f)
		err := f.Parse(tc.args)
		if tc.bad {
			if err == nil {
				t.Errorf("%v: accepted", tc.args)
				continue
			}
			if ue := flagError(nil, err); !strings.HasPrefix(ue.Error(), tc.want) {
				t.Errorf("%v: error %q, want %q", tc.args, ue, tc.want)
			}
			continue
		}
		if err != nil || tc.get(&o) != tc.want {
			t.Errorf("%v: err %v, value %q; want %q", tc.args, err, tc.get(&o), tc.want)
		}
	}
}

// TestChoiceFlagsExecute: a bad enum value exits 2 at parse time with one
// line, and help lists the values.
func TestChoiceFlagsExecute(t *testing.T) {
	var out, errb bytes.Buffer
	code := execute([]string{"run", "--style", "haiku", "x"}, nil, &out, &errb)
	if code != exitUsage || !strings.HasPrefix(errb.String(), `llsum: error: --style "haiku": want brief, `) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if n := strings.Count(errb.String(), "\n"); n != 1 {
		t.Fatalf("want one line, got %q", errb.String())
	}
	out.Reset()
	if code := execute([]string{"run", "--help"}, nil, &out, &errb); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, want := range []string{"{md|json|md,json}", "{text|json}", "{auto|ledongthuc|pdfium}", "{onnx|openai|extractive}", "{auto|cpu|cuda|cuda:N}"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run --help lacks %s", want)
		}
	}
}
