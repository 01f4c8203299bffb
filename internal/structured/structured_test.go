package structured

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func exampleSchemas(t testing.TB) map[string]*Schema {
	t.Helper()
	paths, err := filepath.Glob("../../testdata/schemas/*.schema.json")
	if err != nil || len(paths) < 2 {
		t.Fatalf("example schemas: %v %v", paths, err)
	}
	out := map[string]*Schema{}
	for _, p := range paths {
		s, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = s
	}
	return out
}

// testVocab is a byte-level vocabulary: the 256 bytes, then multi-byte
// tokens of the kind BPE vocabularies hold around JSON, then EOS.
func testVocab() *Vocab {
	var toks [][]byte
	for b := 0; b < 256; b++ {
		toks = append(toks, []byte{byte(b)})
	}
	for _, s := range []string{`{"`, `":"`, `","`, `"}`, `"},{"`, `":[`, `"]`, `],"`, `"]}`, `[]`, `{}`, `true`, `false`, `null`,
		` the`, ` of`, `ing`, `summary`, `source`, `title`, `date`, `parties`, `key`, `_points`, `": `, `", "`, "\n  ", "\n", `\n`,
		` changes`, `é`, `日本`, "\xe6\x97", "\xa5", `123`, `0.`, `-`, `.5`, `":"`, `breaking`, `features`, `fixes`, `"],"`, `}]`, `}],"`,
		` "`, `":{"`, `[{"`, `,"`, `0`, `99999`} {
		toks = append(toks, []byte(s))
	}
	toks = append(toks, nil) // a special token
	eos := len(toks)
	toks = append(toks, nil)
	return NewVocab(toks, []int{eos}, len(toks)+3)
}

// decode draws tokens at random among the allowed ones until EOS or the
// budget ends, and returns the text and whether it ended by EOS.
func decode(t *testing.T, ix *Index, budget int, rng *rand.Rand, preferLong bool) (string, bool) {
	t.Helper()
	d, err := ix.NewDecoder(budget)
	if err != nil {
		t.Fatal(err)
	}
	for left := budget; left > 0; left-- {
		allowed := d.Allowed(left)
		var ids []int
		for id := 0; id < ix.v.Size(); id++ {
			if allowed[id>>6]&(1<<(uint(id)&63)) != 0 {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			t.Fatalf("no token allowed after %q with %d left", d.Text, left)
		}
		id := ids[rng.IntN(len(ids))]
		if preferLong && rng.IntN(3) > 0 {
			// Favour multi-byte tokens, as a language model would.
			for range 4 {
				c := ids[rng.IntN(len(ids))]
				if len(ix.v.tokens[c]) > len(ix.v.tokens[id]) {
					id = c
				}
			}
		}
		if err := d.Accept(id); err != nil {
			t.Fatalf("accept: %v", err)
		}
		if ix.v.tokens[id] == nil {
			return string(d.Text), true
		}
	}
	return string(d.Text), false
}

// TestRandomDecodingIsValid: any sequence of allowed tokens, whatever the
// budget, ends as a schema-valid value.
func TestRandomDecodingIsValid(t *testing.T) {
	v := testVocab()
	schemas := exampleSchemas(t)
	extra := map[string]string{
		"scalars": `{"type":"object","properties":{"n":{"type":"integer"},"x":{"type":"number"},"b":{"type":"boolean"},
			"z":{"type":"null"},"e":{"enum":["low","lower","high"]},"c":{"const":"ok"},"s":{"type":"string","minLength":3,"maxLength":5}},
			"required":["n","x","b","z","e","s"]}`,
		"array-root":  `{"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":4}`,
		"number-root": `{"type":"number"}`,
		"optional":    `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"object","properties":{"d":{"type":"array","items":{"type":"string"}}}}}}`,
	}
	for name, src := range extra {
		s, err := Compile(name, []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		schemas[name] = s
	}
	for name, s := range schemas {
		t.Run(name, func(t *testing.T) {
			ix := NewIndex(s, v)
			rng := rand.New(rand.NewPCG(1, 2))
			shortest := s.root.shortest
			eos := 0
			for i := range 300 {
				budget := shortest + rng.IntN(120)
				text, byEOS := decode(t, ix, budget, rng, i%2 == 0)
				if byEOS {
					eos++
				}
				if err := s.Validate(text); err != nil {
					t.Fatalf("budget %d: %q: %v", budget, text, err)
				}
			}
			t.Logf("%d states cached, %d of 300 ended by EOS", ix.States(), eos)
		})
	}
}

func TestBudgetBelowShortest(t *testing.T) {
	s := exampleSchemas(t)["release-notes.schema.json"]
	if _, err := NewIndex(s, testVocab()).NewDecoder(10); !errors.Is(err, ErrBudget) {
		t.Fatalf("got %v", err)
	}
}

func TestUnsupportedKeywords(t *testing.T) {
	for _, c := range []struct{ src, keyword, ptr string }{
		{`{"type":"string","pattern":"a+"}`, "pattern", "/pattern"},
		{`{"type":"object","properties":{"a":{"type":"integer","minimum":3}}}`, "minimum", "/properties/a/minimum"},
		{`{"type":"object","properties":{"a/b":{"$ref":"#"}}}`, "", "/properties/a~1b"},
		{`{"type":"array","items":{"type":"string","format":"date"}}`, "format", "/items/format"},
		{`{"type":["string","null"]}`, "type", "/type"},
		{`{"type":"object","additionalProperties":{"type":"string"}}`, "additionalProperties", "/additionalProperties"},
		{`{"anyOf":[{"type":"string"}]}`, "type", "/ (the root)"},
		{`{"type":"object","properties":{"e":{"enum":[1,2]}}}`, "enum", "/properties/e/enum/0"},
		{`{"type":"object","required":["x"]}`, "required", "/required"},
	} {
		_, err := Compile("s.json", []byte(c.src))
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v", c.src, err)
			continue
		}
		if ue.Pointer != c.ptr || (c.keyword != "" && ue.Keyword != c.keyword) {
			t.Errorf("%s: got keyword %q at %q (%v)", c.src, ue.Keyword, ue.Pointer, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error %q", err)
		}
	}
	for _, bad := range []string{`{"type":"strin"}`, `{"type":`, `{"minLength":"x","type":"string"}`} {
		_, err := Compile("s.json", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), "s.json") {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	s := exampleSchemas(t)["document-brief.schema.json"]
	good := `{"title":"T","date":"","parties":[],"key_points":["x"],"action_items":[]}`
	if err := s.Validate(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"title":"T"}`, `not json`, `{"title":"T","date":"","parties":[],"key_points":[],"action_items":[]}`,
		`{"title":"T","date":"","parties":[],"key_points":["x"],"action_items":[],"extra":1}`} {
		if err := s.Validate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}

func TestGrammarRejects(t *testing.T) {
	s := exampleSchemas(t)["document-brief.schema.json"]
	for _, text := range []string{`{"date"`, `{"title":1`, `{"title":"a"}`, `{"title":"a\u0041"`, "{\"title\":\"a\x01", `{"title":"` + strings.Repeat("x", 161)} {
		st := newState(s.root)
		ok := true
		for i := 0; i < len(text) && ok; i++ {
			ok = st.advance(s.root, text[i])
		}
		if ok {
			t.Errorf("%q accepted", text)
		}
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestMarkdown(t *testing.T) {
	got, err := Markdown(`{"title":"Q3 plan","date":"","parties":["Acme GmbH","Example Ltd"],"key_points":[],"fixes":[{"summary":"Crash fixed","source":"issue-1"}],"n":3,"ok":true}`)
	if err != nil {
		t.Fatal(err)
	}
	want := "**Title:** Q3 plan\n\n**Date:** —\n\n### Parties\n\n- Acme GmbH\n- Example Ltd\n\n### Key points\n\nNone.\n\n### Fixes\n\n- Crash fixed — issue-1\n\n**N:** 3\n\n**Ok:** yes\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
