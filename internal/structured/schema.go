// Package structured makes summaries that are JSON values valid against a
// JSON Schema (`llsum run --schema FILE`).
//
// It has three parts:
//
//   - Compile reads a schema, checks it is valid JSON Schema (draft 2020-12)
//     with a maintained validator (santhosh-tekuri/jsonschema) and refuses
//     any keyword llsum cannot enforce while decoding, naming the keyword and
//     its JSON pointer (UnsupportedError);
//   - a byte-level grammar compiled from the schema: a pushdown automaton
//     whose states know the shortest text that completes them (grammar.go);
//   - a token-level constrained decoder over a model's vocabulary: a token
//     trie walked once per distinct grammar state gives a cached bitset of
//     the tokens that keep the output a valid prefix, and the token budget
//     narrows it to the closing path when the remaining tokens come close to
//     the shortest completion (decoder.go).
//
// The supported subset: type object (properties, required,
// additionalProperties), array (items, minItems, maxItems), string (enum,
// const, minLength, maxLength), integer, number, boolean, null; enum/const
// of strings; annotations ($schema, $id, $comment, title, description,
// examples, default, deprecated, readOnly, writeOnly). The decoder writes an
// object's properties in the schema's order and may leave out optional ones;
// it writes no exponent in numbers and no \u escapes in strings.
package structured

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/llsum/llsum/internal/textutil"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrInvalid is the class of output that does not satisfy the schema.
var ErrInvalid = errors.New("output does not match the schema")

// UnsupportedError reports a keyword llsum cannot enforce while decoding.
type UnsupportedError struct {
	File    string
	Pointer string // JSON pointer of the keyword
	Keyword string
	Why     string // optional detail
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("schema %s: keyword %q at %s is not supported", e.File, e.Keyword, e.Pointer)
	if e.Why != "" {
		msg += " (" + e.Why + ")"
	}
	return msg
}

// Schema is a compiled schema: the validator and the decoding grammar.
type Schema struct {
	// Name is the schema's file name without its extension (sent as the
	// response format's name to OpenAI-compatible servers).
	Name string
	raw  json.RawMessage
	val  *jsonschema.Schema
	root *node
	// nodes by id (for state keys).
	nodes []*node
}

// Raw is the schema document as read.
func (s *Schema) Raw() json.RawMessage { return s.raw }

// Load reads and compiles the schema file path.
func Load(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	return Compile(path, data)
}

// Compile compiles the schema document data; file names it in errors.
func Compile(file string, data []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("schema %s: not JSON: %w", file, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const loc = "file:///llsum-schema.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", file, err)
	}
	val, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema %s: not a valid JSON Schema: %s", file, textutil.OneLine(err.Error()))
	}
	ov, err := parseOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", file, err)
	}
	s := &Schema{raw: json.RawMessage(bytes.TrimSpace(data)), val: val}
	base := file[strings.LastIndexAny(file, `/\`)+1:]
	s.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".schema")
	b := builder{file: file, s: s}
	if s.root, err = b.node(ov, "", 1); err != nil {
		return nil, err
	}
	if b.depth > maxDepth-2 {
		return nil, &UnsupportedError{File: file, Pointer: "", Keyword: "properties", Why: fmt.Sprintf("nesting deeper than %d levels", maxDepth-2)}
	}
	return s, nil
}

// Validate checks that text is one JSON value valid against the schema.
func (s *Schema) Validate(text string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	if err := s.val.Validate(v); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, textutil.OneLine(err.Error()))
	}
	return nil
}

// oval is a JSON value with object members in document order.
type oval struct {
	obj   []member
	isObj bool
	arr   []oval
	isArr bool
	str   *string
	num   json.Number
	b     *bool
	null  bool
}

type member struct {
	key string
	val oval
}

func parseOrdered(data []byte) (oval, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := readValue(d)
	if err != nil {
		return oval{}, err
	}
	if _, err := d.Token(); err != io.EOF {
		return oval{}, errors.New("trailing data after the schema")
	}
	return v, nil
}

func readValue(d *json.Decoder) (oval, error) {
	t, err := d.Token()
	if err != nil {
		return oval{}, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			v := oval{isObj: true}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return oval{}, err
				}
				mv, err := readValue(d)
				if err != nil {
					return oval{}, err
				}
				v.obj = append(v.obj, member{key: kt.(string), val: mv})
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := oval{isArr: true}
			for d.More() {
				e, err := readValue(d)
				if err != nil {
					return oval{}, err
				}
				v.arr = append(v.arr, e)
			}
			_, err := d.Token()
			return v, err
		}
	case string:
		return oval{str: &x}, nil
	case json.Number:
		return oval{num: x}, nil
	case bool:
		return oval{b: &x}, nil
	case nil:
		return oval{null: true}, nil
	}
	return oval{}, fmt.Errorf("unexpected token %v", t)
}

func (v oval) get(k string) (oval, bool) {
	for _, m := range v.obj {
		if m.key == k {
			return m.val, true
		}
	}
	return oval{}, false
}

// annotations are keywords that do not constrain the value.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

// keywordsOf lists the keywords each type accepts beyond the annotations.
var keywordsOf = map[kind][]string{
	kObject:  {"type", "properties", "required", "additionalProperties"},
	kArray:   {"type", "items", "minItems", "maxItems"},
	kString:  {"type", "minLength", "maxLength", "enum", "const"},
	kEnum:    {"type", "enum", "const"},
	kInteger: {"type"},
	kNumber:  {"type"},
	kBool:    {"type"},
	kNull:    {"type"},
}

type builder struct {
	file  string
	s     *Schema
	depth int
}

func ptrJoin(p, k string) string {
	k = strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
	return p + "/" + k
}

func (b *builder) unsupported(ptr, kw, why string) error {
	return &UnsupportedError{File: b.file, Pointer: displayPtr(ptr), Keyword: kw, Why: why}
}

func displayPtr(p string) string {
	if p == "" {
		return "/ (the root)"
	}
	return p
}

func (b *builder) node(v oval, ptr string, depth int) (*node, error) {
	b.depth = max(b.depth, depth)
	if !v.isObj {
		return nil, b.unsupported(ptr, "", "a boolean schema; write an object schema with a type")
	}
	n := &node{id: len(b.s.nodes), ptr: ptr, maxLen: -1, maxItems: -1}
	b.s.nodes = append(b.s.nodes, n)
	tv, hasType := v.get("type")
	ev, hasEnum := v.get("enum")
	cv, hasConst := v.get("const")
	switch {
	case hasType && tv.str != nil:
		switch *tv.str {
		case "object":
			n.kind = kObject
		case "array":
			n.kind = kArray
		case "string":
			n.kind = kString
		case "integer":
			n.kind = kInteger
		case "number":
			n.kind = kNumber
		case "boolean":
			n.kind, n.lits = kBool, []string{"true", "false"}
		case "null":
			n.kind, n.lits = kNull, []string{"null"}
		default:
			return nil, b.unsupported(ptrJoin(ptr, "type"), "type", "unknown type "+strconv.Quote(*tv.str))
		}
	case hasType:
		return nil, b.unsupported(ptrJoin(ptr, "type"), "type", "only one type name per schema")
	case hasEnum || hasConst:
		n.kind = kEnum
	default:
		return nil, b.unsupported(ptr, "type", "every schema needs a type (or a string enum)")
	}
	for _, m := range v.obj {
		if annotations[m.key] {
			continue
		}
		ok := false
		for _, k := range keywordsOf[n.kind] {
			ok = ok || k == m.key
		}
		if !ok {
			return nil, b.unsupported(ptrJoin(ptr, m.key), m.key, "llsum cannot enforce it while decoding")
		}
	}
	if hasEnum || hasConst {
		if n.kind != kString && n.kind != kEnum {
			kw := "enum"
			if !hasEnum {
				kw = "const"
			}
			return nil, b.unsupported(ptrJoin(ptr, kw), kw, "only string values")
		}
		n.kind = kEnum
		var vals []oval
		kw := "enum"
		if hasEnum {
			vals = ev.arr
		} else {
			vals, kw = []oval{cv}, "const"
		}
		for i, e := range vals {
			if e.str == nil {
				return nil, b.unsupported(ptrJoin(ptrJoin(ptr, kw), strconv.Itoa(i)), kw, "only string values")
			}
			lit, _ := json.Marshal(*e.str)
			n.lits = append(n.lits, string(lit))
		}
		if len(n.lits) == 0 || len(n.lits) > 64 {
			return nil, b.unsupported(ptrJoin(ptr, kw), kw, "between 1 and 64 values")
		}
	}
	intKw := func(k string, dst *int) error {
		x, ok := v.get(k)
		if !ok {
			return nil
		}
		i, err := strconv.Atoi(string(x.num))
		if err != nil || i < 0 {
			return b.unsupported(ptrJoin(ptr, k), k, "a non-negative integer")
		}
		*dst = i
		return nil
	}
	for _, e := range []error{intKw("minLength", &n.minLen), intKw("maxLength", &n.maxLen), intKw("minItems", &n.minItems), intKw("maxItems", &n.maxItems)} {
		if e != nil {
			return nil, e
		}
	}
	if n.maxLen >= 0 && n.minLen > n.maxLen || n.maxItems >= 0 && n.minItems > n.maxItems {
		return nil, b.unsupported(ptr, "maxLength", "no value satisfies the bounds")
	}
	switch n.kind {
	case kObject:
		if err := b.object(n, v, ptr, depth); err != nil {
			return nil, err
		}
	case kArray:
		iv, ok := v.get("items")
		if !ok {
			return nil, b.unsupported(ptr, "items", "an array schema needs items")
		}
		var err error
		if n.items, err = b.node(iv, ptrJoin(ptr, "items"), depth+1); err != nil {
			return nil, err
		}
	}
	n.finish()
	return n, nil
}

func (b *builder) object(n *node, v oval, ptr string, depth int) error {
	if ap, ok := v.get("additionalProperties"); ok && ap.b == nil {
		return b.unsupported(ptrJoin(ptr, "additionalProperties"), "additionalProperties", "only true or false")
	}
	required := map[string]bool{}
	if rv, ok := v.get("required"); ok {
		for _, r := range rv.arr {
			if r.str != nil {
				required[*r.str] = true
			}
		}
	}
	pv, _ := v.get("properties")
	if len(pv.obj) > 64 {
		return b.unsupported(ptrJoin(ptr, "properties"), "properties", "at most 64 properties")
	}
	for _, m := range pv.obj {
		c, err := b.node(m.val, ptrJoin(ptrJoin(ptr, "properties"), m.key), depth+1)
		if err != nil {
			return err
		}
		lit, _ := json.Marshal(m.key)
		n.props = append(n.props, prop{name: m.key, lit: string(lit), n: c, required: required[m.key]})
		delete(required, m.key)
	}
	for k := range required {
		return b.unsupported(ptrJoin(ptr, "required"), "required", "property "+strconv.Quote(k)+" is required but not in properties")
	}
	return nil
}

// Digest is a short hash of the schema document (incremental-run keys).
func (s *Schema) Digest() string {
	sum := sha256.Sum256(s.raw)
	return hex.EncodeToString(sum[:8])
}

// Shortest is the length in bytes of the shortest valid value: the fewest
// new tokens constrained decoding needs (each byte is a token).
func (s *Schema) Shortest() int { return s.root.shortest }
