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
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/enginebench"
)

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
	compare := flag.String("compare", "", "a second model folder (e.g. the same weights with a logits_to_keep input) timed in turns with the first; prints the ratio")
	compareFull := flag.Bool("compare-full-logits", false, "open the -compare model (default: -model itself) as written, logits for every position, without the last-position rewrite")
	flag.Parse()
	if *compareFull && *compare == "" {
		*compare = *model
	}
	if err := run(*model, *variant, *contexts, *batches, *decode, *chunk, *threads, *repeats, *peer, *compare, *compareFull); err != nil {
		fmt.Fprintln(os.Stderr, "bench/engine:", err)
		os.Exit(1)
	}
}

func run(model, variant, contexts, batches string, decode, chunk, threads, repeats int, peer, compare string, compareFull bool) error {
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
	var e2 *onnx.Engine
	if compare != "" {
		if e2, err = onnx.Open(ctx, onnx.Options{Model: compare, Variant: variant, Device: "cpu", Lib: onnx.DefaultLibOptions(""), PrefillChunk: chunk, Threads: threads, FullLogits: compareFull}); err != nil {
			return err
		}
		defer e2.Close()
		s2 := e2.Spec()
		fmt.Printf("model %s: logits of the last position only: %v (input %q, rewritten at open: %v)\n", model, s.LastLogits, s.KeepInput, s.LogitsRewritten)
		fmt.Printf("compare %s: %s, logits of the last position only: %v (input %q, rewritten at open: %v)\n", compare, s2.Layout, s2.LastLogits, s2.KeepInput, s2.LogitsRewritten)
	}
	var pr *peerProc
	if peer != "" {
		if pr, err = startPeer(ctx, peer, model); err != nil {
			return err
		}
		defer pr.close()
	}
	for _, c := range cs {
		for _, b := range bs {
			reqs := enginebench.Requests(enginebench.PeerIDs(s.Vocab), b, c, decode+1)
			// Warm-up, then llsum and the peer take turns so that both
			// see the same machine load; the best run of each counts.
			if _, err := e.Generate(ctx, reqs); err != nil {
				return err
			}
			if e2 != nil {
				if _, err := e2.Generate(ctx, reqs); err != nil {
					return err
				}
			}
			if pr != nil {
				if _, _, err := pr.measure(c, b, decode); err != nil {
					return err
				}
			}
			var peerP, peerD, cmpP, cmpD float64 // seconds, best
			var between func() error
			if pr != nil || e2 != nil {
				between = func() error {
					if e2 != nil {
						res, err := e2.Generate(ctx, reqs)
						if err != nil {
							return err
						}
						cmpP, cmpD = enginebench.Shorter(cmpP, res[0].PrefillMs/1000), enginebench.Shorter(cmpD, res[0].DecodeMs/1000)
					}
					if pr == nil {
						return nil
					}
					p, d, err := pr.measure(c, b, decode)
					peerP, peerD = enginebench.Shorter(peerP, p), enginebench.Shorter(peerD, d)
					return err
				}
			}
			ourP, ourD, err := enginebench.Best(ctx, e, reqs, repeats, between)
			if err != nil {
				return err
			}
			tokens := float64(b * decode)
			fmt.Printf("llsum            context %5d batch %d: prefill %9.1f tok/s  decode %8.1f tok/s  (KV cache %.1f MiB)\n",
				c, b, float64(b*c)/ourP, tokens/ourD, float64(e.KVCacheBytes())/(1<<20))
			if e2 != nil {
				fmt.Printf("llsum compare    context %5d batch %d: prefill %9.1f tok/s  decode %8.1f tok/s\n", c, b, float64(b*c)/cmpP, tokens/cmpD)
				fmt.Printf("ratio compare/model context %5d batch %d: prefill %.2f×  decode %.2f×\n", c, b, ourP/cmpP, ourD/cmpD)
			}
			if pr != nil {
				fmt.Printf("transformers.js  context %5d batch %d: prefill %9.1f tok/s  decode %8.1f tok/s\n", c, b, float64(b*c)/peerP, tokens/peerD)
				fmt.Printf("ratio llsum/peer context %5d batch %d: prefill %.2f×  decode %.2f×\n", c, b, peerP/ourP, peerD/ourD)
			}
		}
	}
	return nil
}

// peerProc is the transformers.js process, fed one measurement at a time.
type peerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPeer(ctx context.Context, dir, model string) (*peerProc, error) {
	// ES modules resolve packages beside the script, so the script goes
	// into the peer's folder.
	script := filepath.Join(dir, "llsum-peer.mjs")
	if err := os.WriteFile(script, peerScript, 0o644); err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	abs, err := filepath.Abs(model)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", script, abs)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	p := &peerProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if !p.out.Scan() {
		p.close()
		return nil, fmt.Errorf("peer: did not start (is @huggingface/transformers installed in %s?)", dir)
	}
	return p, nil
}

func (p *peerProc) measure(c, b, decode int) (prefill, dec float64, err error) {
	if _, err := fmt.Fprintf(p.in, "%d %d %d\n", c, b, decode); err != nil {
		return 0, 0, fmt.Errorf("peer: %w", err)
	}
	if !p.out.Scan() {
		return 0, 0, fmt.Errorf("peer: no answer")
	}
	var r struct {
		Prefill float64 `json:"prefill_s"`
		Decode  float64 `json:"decode_s"`
	}
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		return 0, 0, fmt.Errorf("peer: %q: %w", p.out.Text(), err)
	}
	return r.Prefill, r.Decode, nil
}

func (p *peerProc) close() {
	_ = p.in.Close()
	_ = p.cmd.Wait()
}

//go:embed peer.mjs
var peerScript []byte
