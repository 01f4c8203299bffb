package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ggufReader parses what writeGGUF writes (the GGUF v3 subset it uses).
type ggufReader struct {
	r   io.Reader
	err error
}

func (g *ggufReader) u32() uint32 {
	var v uint32
	if g.err == nil {
		g.err = binary.Read(g.r, binary.LittleEndian, &v)
	}
	return v
}

func (g *ggufReader) u64() uint64 {
	var v uint64
	if g.err == nil {
		g.err = binary.Read(g.r, binary.LittleEndian, &v)
	}
	return v
}

func (g *ggufReader) str() string {
	n := g.u64()
	if g.err != nil || n > 1<<20 {
		return ""
	}
	b := make([]byte, n)
	_, g.err = io.ReadFull(g.r, b)
	return string(b)
}

func (g *ggufReader) value(typ uint32) any {
	switch typ {
	case gguUint32, gguInt32:
		return g.u32()
	case gguFloat32:
		return g.u32()
	case gguString:
		return g.str()
	case gguArray:
		et, n := g.u32(), g.u64()
		out := make([]any, 0, n)
		for i := uint64(0); i < n && g.err == nil; i++ {
			out = append(out, g.value(et))
		}
		return out
	}
	g.err = fmt.Errorf("unexpected value type %d", typ)
	return nil
}

// A GGUF with a small vocabulary reads back: header, every key, the
// vocabulary by id, tensor infos with aligned offsets, and a file as long as
// its last tensor's end.
func TestWriteGGUF(t *testing.T) {
	dir := t.TempDir()
	vocab := map[string]int{}
	for i := 0; i < 300; i++ {
		vocab[fmt.Sprintf("t%d", i)] = i
	}
	tok := map[string]any{
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": []any{"t 1", []string{"t1", "0"}}},
		"added_tokens": []map[string]any{
			{"id": 300, "content": "<|begin_of_text|>", "special": true},
			{"id": 301, "content": "<|eot_id|>", "special": true},
		},
	}
	b, _ := json.Marshal(tok)
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(tokPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s := llamaShape{Layers: 2, Hidden: 64, Heads: 4, KVHeads: 2, HeadSize: 16, FF: 128, Vocab: 302, Context: 256, RopeTheta: 500000, Eps: 1e-5}
	v, err := readVocab(tokPath, s.Vocab)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.gguf")
	if err := writeGGUF(out, s, v); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := &ggufReader{r: f}
	magic := make([]byte, 4)
	_, _ = io.ReadFull(f, magic)
	if string(magic) != "GGUF" || g.u32() != 3 {
		t.Fatalf("header %q", magic)
	}
	nt, nkv := g.u64(), g.u64()
	kv := map[string]any{}
	for i := uint64(0); i < nkv && g.err == nil; i++ {
		k := g.str()
		kv[k] = g.value(g.u32())
	}
	if g.err != nil {
		t.Fatal(g.err)
	}
	if kv["general.architecture"] != "llama" || kv["llama.block_count"] != uint32(2) || kv["tokenizer.ggml.bos_token_id"] != uint32(300) ||
		kv["tokenizer.ggml.eos_token_id"] != uint32(301) || kv["tokenizer.ggml.model"] != "gpt2" {
		t.Errorf("metadata %v", kv)
	}
	toks, _ := kv["tokenizer.ggml.tokens"].([]any)
	types, _ := kv["tokenizer.ggml.token_type"].([]any)
	if len(toks) != 302 || toks[7] != "t7" || toks[301] != "<|eot_id|>" || types[5] != uint32(1) || types[300] != uint32(3) {
		t.Errorf("vocabulary: %d tokens", len(toks))
	}
	if m := kv["tokenizer.ggml.merges"].([]any); len(m) != 2 || m[1] != "t1 0" {
		t.Errorf("merges %v", m)
	}
	want := llamaTensors(s)
	if nt != uint64(len(want)) {
		t.Fatalf("%d tensors, want %d", nt, len(want))
	}
	var end uint64
	for i := range want {
		name, nd := g.str(), g.u32()
		ne := make([]int64, nd)
		for d := range ne {
			ne[d] = int64(g.u64())
		}
		typ, off := g.u32(), g.u64()
		if name != want[i].name || fmt.Sprint(ne) != fmt.Sprint(want[i].ne) || typ != want[i].typ || off%ggufAlign != 0 {
			t.Errorf("tensor %d: %s %v type %d offset %d", i, name, ne, typ, off)
		}
		end = off + uint64(want[i].bytes())
	}
	pos, _ := f.Seek(0, io.SeekCurrent)
	data := (pos + ggufAlign - 1) / ggufAlign * ggufAlign
	st, _ := f.Stat()
	if got := uint64(st.Size()) - uint64(data); got < end || got > end+ggufAlign {
		t.Errorf("data section %d bytes, tensors end at %d", got, end)
	}
	if want[1].bytes() != 64*4 || want[2].bytes() != 64*64/32*18 {
		t.Errorf("sizes %d %d", want[1].bytes(), want[2].bytes())
	}
}
