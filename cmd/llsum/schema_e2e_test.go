package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/structured"
	"github.com/llsum/llsum/internal/testenv"
)

// TestSchemaUsageErrors: a schema llsum cannot enforce, a file that is not
// a schema, and --schema with the extractive backend are refused with one
// line and exit 2 before any document is read (no output folder).
func TestSchemaUsageErrors(t *testing.T) {
	work := t.TempDir()
	bad := filepath.Join(work, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"type":"object","properties":{"n":{"type":"integer","minimum":0}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	notSchema := filepath.Join(work, "not.json")
	if err := os.WriteFile(notSchema, []byte(`{"type": 12`), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs")
	good := filepath.Join(testenv.ModuleRoot(t), "testdata", "schemas", "document-brief.schema.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--endpoint", "http://127.0.0.1:9/v1", "--schema", bad, docs}, `keyword "minimum" at /properties/n/minimum is not supported`},
		{[]string{"run", "--endpoint", "http://127.0.0.1:9/v1", "--schema", notSchema, docs}, "not.json"},
		{[]string{"run", "--schema", good, docs}, "--schema needs a language model"},
		{[]string{"run", "--model", work, "--max-new-tokens", "20", "--schema", good, docs}, "--max-new-tokens 20 is too few"},
		{[]string{"run", "--backend", "extractive", "--schema", good, docs}, "--schema needs a language model"},
	} {
		r := runLLSum(t, work, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, r.code, r.stderr, c.want)
		}
		if _, err := os.Stat(filepath.Join(work, "summaries")); err == nil {
			t.Fatalf("%v: output folder written", c.args)
		}
	}
}

// TestRunSchemaGeneratedModel: `llsum run --schema` on a generated tiny
// model writes, for every document, a `structured` value valid against the
// schema and its rendering in the Markdown.
func TestRunSchemaGeneratedModel(t *testing.T) {
	model := tinyModel(t, "genai")
	work := t.TempDir()
	docs := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs")
	for _, name := range []string{"release-notes", "document-brief"} {
		schemaPath := filepath.Join(testenv.ModuleRoot(t), "testdata", "schemas", name+".schema.json")
		sch, err := structured.Load(schemaPath)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(work, name)
		digest := filepath.Join(work, name+"-digest.md")
		r := runLLSum(t, work, "run", "--model", model, "--device", "cpu", "--max-new-tokens", "120", "-j", "2", "--schema", schemaPath, "--out", out, "--digest", digest, docs)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		idx := readIndex(t, out)
		if idx.Counts.OK != 4 {
			t.Fatalf("%s: counts %+v", name, idx.Counts)
		}
		files, _ := filepath.Glob(filepath.Join(out, "*.json"))
		sub, _ := filepath.Glob(filepath.Join(out, "*", "*.json"))
		checked := 0
		for _, f := range append(files, sub...) {
			if filepath.Base(f) == "index.json" || strings.Contains(filepath.ToSlash(f), "/.llsum/") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Structured json.RawMessage `json:"structured"`
				Summary    string          `json:"summary"`
				Parameters struct {
					Schema string `json:"schema"`
				} `json:"parameters"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(string(doc.Structured)); err != nil {
				t.Errorf("%s: %v", f, err)
			}
			if !strings.HasPrefix(doc.Parameters.Schema, name+" ") || !strings.Contains(doc.Summary, "###") {
				t.Errorf("%s: parameters.schema %q, summary %q", f, doc.Parameters.Schema, doc.Summary)
			}
			md, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".md")
			if err != nil || !strings.Contains(string(md), doc.Summary[:20]) {
				t.Errorf("%s: Markdown lacks the rendered value (%v)", f, err)
			}
			checked++
		}
		if checked != 4 {
			t.Errorf("%s: %d documents checked", name, checked)
		}
		// The digest merges the documents' values into one of the schema.
		data, err := os.ReadFile(strings.TrimSuffix(digest, ".md") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var dj struct {
			Structured json.RawMessage `json:"structured"`
		}
		if err := json.Unmarshal(data, &dj); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(string(dj.Structured)); err != nil {
			t.Errorf("%s digest: %v", name, err)
		}
	}
}

// TestRunCitationsExtractive: the extractive backend cites the page of each
// sentence (JSON `citations`, [p. N] in the text), --citations=false turns
// it off, and the faithfulness check finds nothing in extractive summaries.
func TestRunCitationsExtractive(t *testing.T) {
	work := t.TempDir()
	docs := filepath.Join(testenv.ModuleRoot(t), "testdata", "docs")
	for _, on := range []bool{true, false} {
		out := filepath.Join(work, "cite-"+map[bool]string{true: "on", false: "off"}[on])
		args := []string{"run", "--out", out, docs}
		if !on {
			args = append(args[:1], append([]string{"--citations=false"}, args[1:]...)...)
		}
		r := runLLSum(t, work, args...)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		data, err := os.ReadFile(filepath.Join(out, "solar-energy.pdf.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Summary   string `json:"summary"`
			Pages     int    `json:"pages"`
			Citations []struct {
				Point string   `json:"point"`
				Pages [][2]int `json:"pages"`
			} `json:"citations"`
			Faithfulness []any `json:"faithfulness"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Faithfulness) != 0 {
			t.Errorf("faithfulness warnings on an extractive summary: %v", doc.Faithfulness)
		}
		if !on {
			if len(doc.Citations) != 0 || strings.Contains(doc.Summary, "[p. ") {
				t.Errorf("--citations=false: %q %v", doc.Summary, doc.Citations)
			}
			continue
		}
		if len(doc.Citations) == 0 || !strings.Contains(doc.Summary, "[p. ") {
			t.Fatalf("no citations: %q", doc.Summary)
		}
		for _, c := range doc.Citations {
			for _, p := range c.Pages {
				if p[0] < 1 || p[1] > doc.Pages {
					t.Errorf("citation %v outside 1–%d", p, doc.Pages)
				}
			}
		}
	}
}
