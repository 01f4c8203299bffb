// Command cpu is the CPU benchmark a CI runner cares about: llsum on the
// Llama 3.2 1B shape in int4 (MatMulNBits, `llsum dev gen-model --preset 1b
// --dtype int4`) against llama.cpp's CPU build (node-llama-cpp) on a GGUF
// of the same shape in Q4_0 that this command writes itself (random
// weights, the Llama 3 vocabulary and merges in its metadata). run.sh does
// it all; the subcommands are:
//
//	cpu gguf -tokenizer tokenizer.json -out FILE [-layers N -hidden N ...]
//	cpu llsum -model DIR -context C -batch B -decode N -threads T [-prefill-rows R]
//	cpu report FILE
//	cpu evict FILE...
//
// llsum and node print one JSON line per (context, batch), each measured
// in a process of its own so that its peak RSS (VmHWM) is that
// configuration's; report prints the table and the llsum/llama.cpp ratios.
// evict drops the files' pages from the page cache, so that each
// measurement starts from the same state (see runEvict).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/llsum/llsum/infer/onnx"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cpu gguf|llsum|report ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gguf":
		err = runGGUF(os.Args[2:])
	case "llsum":
		err = runLlsum(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	case "evict":
		err = runEvict(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/cpu:", err)
		os.Exit(1)
	}
}

func runGGUF(args []string) error {
	f := flag.NewFlagSet("gguf", flag.ExitOnError)
	tok := f.String("tokenizer", "", "Llama 3 tokenizer.json (vocabulary and merges)")
	out := f.String("out", "", "GGUF file to write")
	s := llamaShape{RopeTheta: 500000, Eps: 1e-5}
	f.IntVar(&s.Layers, "layers", 16, "decoder layers (Llama 3.2 1B: 16)")
	f.IntVar(&s.Hidden, "hidden", 2048, "hidden size")
	f.IntVar(&s.Heads, "heads", 32, "attention heads")
	f.IntVar(&s.KVHeads, "kv-heads", 8, "KV heads")
	f.IntVar(&s.HeadSize, "head-size", 64, "head size")
	f.IntVar(&s.FF, "intermediate", 8192, "MLP intermediate size")
	f.IntVar(&s.Vocab, "vocab", 128256, "vocabulary size")
	f.IntVar(&s.Context, "context-length", 131072, "context length")
	_ = f.Parse(args)
	if *tok == "" || *out == "" {
		return fmt.Errorf("gguf: -tokenizer and -out are required")
	}
	v, err := readVocab(*tok, s.Vocab)
	if err != nil {
		return err
	}
	return writeGGUF(*out, s, v)
}

// promptIDs matches llama.mjs: ordinary tokens only (below 128000).
func promptIDs(row, n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 10 + (i*7919+row*104729)%(128000-20)
	}
	return ids
}

// result is one measurement, as both sides print it.
type result struct {
	Engine   string  `json:"engine"`
	Context  int     `json:"context"`
	Batch    int     `json:"batch"`
	Prefill  float64 `json:"prefill_tok_s"`
	Decode   float64 `json:"decode_tok_s"`
	PeakRSS  float64 `json:"peak_rss_mb"`
	PrefillS float64 `json:"prefill_s"`
	DecodeS  float64 `json:"decode_s"`
}

func runLlsum(args []string) error {
	f := flag.NewFlagSet("llsum", flag.ExitOnError)
	model := f.String("model", "", "model folder")
	c := f.Int("context", 512, "prompt tokens per sequence")
	b := f.Int("batch", 1, "sequences")
	n := f.Int("decode", 16, "tokens decoded per sequence after the first")
	threads := f.Int("threads", 0, "ONNX Runtime intra-op threads (0: all cores)")
	chunk := f.Int("prefill-chunk", onnx.DefaultPrefillChunk, "prefill chunk")
	rows := f.Int("prefill-rows", 0, "prompts sharing a prefill pass (0: the engine's choice, 1: each alone)")
	full := f.Bool("full-logits", false, "run the graph as written, logits for every position (no last-position rewrite)")
	_ = f.Parse(args)
	ctx := context.Background()
	e, err := onnx.Open(ctx, onnx.Options{Model: *model, Device: "cpu", Lib: onnx.DefaultLibOptions(""), Threads: *threads, PrefillChunk: *chunk, PrefillRows: *rows, FullLogits: *full,
		Notice: func(s string) { fmt.Fprintln(os.Stderr, s) }})
	if err != nil {
		return err
	}
	defer e.Close()
	// Warm-up (session buffers, thread pool), as llama.mjs does.
	if _, err := e.Generate(ctx, []onnx.GenRequest{{InputIDs: promptIDs(99, 16), MaxNewTokens: 2, IgnoreEOS: true}}); err != nil {
		return err
	}
	reqs := make([]onnx.GenRequest, *b)
	for r := range reqs {
		reqs[r] = onnx.GenRequest{InputIDs: promptIDs(r, *c), MaxNewTokens: *n + 1, IgnoreEOS: true}
	}
	res, err := e.Generate(ctx, reqs)
	if err != nil {
		return err
	}
	r := res[0]
	p, d := r.PrefillMs/1000, r.DecodeMs/1000
	return json.NewEncoder(os.Stdout).Encode(result{Engine: "llsum", Context: *c, Batch: *b,
		Prefill: float64(*b**c) / p, Decode: float64(r.DecodeTokens) / d, PeakRSS: peakRSSMB(), PrefillS: p, DecodeS: d})
}

var hwm = regexp.MustCompile(`VmHWM:\s+(\d+) kB`)

func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	m := hwm.FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	return kb / 1024
}

func runReport(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("report: want the results file")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct{ c, b int }
	got := map[key]map[string]result{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Engine == "" {
			continue
		}
		k := key{r.Context, r.Batch}
		if got[k] == nil {
			got[k] = map[string]result{}
		}
		got[k][r.Engine] = r
	}
	keys := make([]key, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].c < keys[j].c || keys[i].c == keys[j].c && keys[i].b < keys[j].b
	})
	fmt.Printf("%-13s %7s %5s %12s %11s %10s\n", "engine", "context", "batch", "prefill t/s", "decode t/s", "peak RSS")
	for _, k := range keys {
		names := make([]string, 0, len(got[k]))
		for name := range got[k] {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			r := got[k][name]
			fmt.Printf("%-13s %7d %5d %12.1f %11.2f %7.0f MB\n", name, k.c, k.b, r.Prefill, r.Decode, r.PeakRSS)
		}
		// Every llsum variant against every llama.cpp run (llama.cpp,
		// llama.cpp-fa with flash attention).
		for _, peer := range names {
			p := got[k][peer]
			if !strings.HasPrefix(peer, "llama.cpp") {
				continue
			}
			for _, name := range names {
				l := got[k][name]
				if !strings.HasPrefix(name, "llsum") {
					continue
				}
				fmt.Printf("ratio %s/%s context %d batch %d: prefill %.2f×  decode %.2f×  peak RSS %.2f×\n",
					name, peer, k.c, k.b, l.Prefill/p.Prefill, l.Decode/p.Decode, l.PeakRSS/p.PeakRSS)
			}
		}
	}
	return nil
}
