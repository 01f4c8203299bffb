// Command engine benchmarks the ONNX engine: prefill and decode tokens/s at
// several context lengths and batch sizes, greedy, EOS ignored. With -peer
// it also runs transformers.js on the same model folder (see run.sh) and
// prints the ratio.
//
//	go run ./bench/engine -model DIR [-contexts 512,2048,8192] [-batches 1,4] [-decode 32] [-repeats 3] [-peer DIR_WITH_NODE_MODULES]
//
// bench/engine/run.sh does it all in one command (model, peer install, run).
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/llsum/llsum/infer/onnx"
)

type figure struct {
	Engine  string  `json:"engine"`
	Context int     `json:"context"`
	Batch   int     `json:"batch"`
	Prefill float64 `json:"prefill_tok_s"`
	Decode  float64 `json:"decode_tok_s"`
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// promptIDs matches peer.mjs: id(i) = 10 + (i*7919 + row*104729) % (vocab-20).
func promptIDs(row, n, vocab int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 10 + (i*7919+row*104729)%(vocab-20)
	}
	return ids
}

func main() {
	model := flag.String("model", "", "model folder")
	variant := flag.String("variant", "", "graph variant")
	contexts := flag.String("contexts", "512,2048,8192", "prompt lengths")
	batches := flag.String("batches", "1,4", "batch sizes")
	decode := flag.Int("decode", 32, "tokens to decode per sequence")
	chunk := flag.Int("prefill-chunk", onnx.DefaultPrefillChunk, "prefill chunk")
	threads := flag.Int("threads", 0, "ONNX Runtime intra-op threads (0: all cores)")
	peer := flag.String("peer", "", "folder with node_modules/@huggingface/transformers: also run the peer")
	repeats := flag.Int("repeats", 3, "runs per figure; the best is kept (shared machines are noisy)")
	flag.Parse()
	if err := run(*model, *variant, *contexts, *batches, *decode, *chunk, *threads, *repeats, *peer); err != nil {
		fmt.Fprintln(os.Stderr, "bench/engine:", err)
		os.Exit(1)
	}
}

func run(model, variant, contexts, batches string, decode, chunk, threads, repeats int, peer string) error {
	cs, err := ints(contexts)
	if err != nil {
		return err
	}
	bs, err := ints(batches)
	if err != nil {
		return err
	}
	ctx := context.Background()
	e, err := onnx.Open(ctx, onnx.Options{Model: model, Variant: variant, Device: "cpu", Lib: onnx.DefaultLibOptions(""), PrefillChunk: chunk, Threads: threads})
	if err != nil {
		return err
	}
	defer e.Close()
	s := e.Spec()
	fmt.Printf("model %s: %s, %d layers, %d KV heads × %d, vocab %d, KV %s, prefill chunk %d\n",
		model, s.Layout, s.Layers, s.KVHeads, s.HeadSize, s.Vocab, onnx.DTypeName(s.KVType), chunk)
	var ours []figure
	for _, c := range cs {
		for _, b := range bs {
			reqs := make([]onnx.GenRequest, b)
			for r := range reqs {
				reqs[r] = onnx.GenRequest{InputIDs: promptIDs(r, c, s.Vocab), MaxNewTokens: decode + 1, IgnoreEOS: true}
			}
			if _, err := e.Generate(ctx, reqs[:1]); err != nil { // warm-up
				return err
			}
			f := figure{Engine: "llsum", Context: c, Batch: b}
			for k := 0; k < max(repeats, 1); k++ {
				res, err := e.Generate(ctx, reqs)
				if err != nil {
					return err
				}
				f.Prefill = max(f.Prefill, float64(b*c)/(res[0].PrefillMs/1000))
				f.Decode = max(f.Decode, res[0].DecodeTokensPerSecond())
			}
			ours = append(ours, f)
			fmt.Printf("llsum            context %5d batch %d: prefill %9.1f tok/s  decode %8.1f tok/s  (KV cache %.1f MiB)\n",
				c, b, f.Prefill, f.Decode, float64(e.KVCacheBytes())/(1<<20))
		}
	}
	if peer == "" {
		return nil
	}
	// ES modules resolve packages beside the script, so the script goes
	// into the peer's folder.
	script := filepath.Join(peer, "llsum-peer.mjs")
	if err := os.WriteFile(script, peerScript, 0o644); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	abs, err := filepath.Abs(model)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "node", script, abs, contexts, batches, strconv.Itoa(decode), strconv.Itoa(repeats))
	cmd.Dir = peer
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	sc := bufio.NewScanner(out)
	i := 0
	for sc.Scan() {
		var f figure
		if json.Unmarshal(sc.Bytes(), &f) != nil {
			continue
		}
		fmt.Printf("transformers.js  context %5d batch %d: prefill %9.1f tok/s  decode %8.1f tok/s\n", f.Context, f.Batch, f.Prefill, f.Decode)
		if i < len(ours) {
			o := ours[i]
			fmt.Printf("ratio llsum/peer context %5d batch %d: prefill %.2f×  decode %.2f×\n", o.Context, o.Batch, o.Prefill/f.Prefill, o.Decode/f.Decode)
		}
		i++
	}
	return cmd.Wait()
}

//go:embed peer.mjs
var peerScript []byte
