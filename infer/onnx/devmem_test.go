package onnx

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer/onnx/cudamem"
	"github.com/llsum/llsum/internal/genmodel"
)

// TestDeviceMemoryRoute runs both KV-cache modes with the cache in memory
// reached through the C-API route the GPU uses (cudamem, here over host
// memory with a "Cpu" location): tokens must equal the Go-memory cache's,
// batched and alone, chunked prefill included.
func TestDeviceMemoryRoute(t *testing.T) {
	needRuntime(t)
	rt, _ := LoadRuntime(DefaultLibOptions(""))
	api, err := cudamem.Load(rt.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, variant string
		shared             bool
	}{
		{"gqa-shared", sharedModel(t, "tiny-qwen2-gqa-fp16"), "", true},
		{"optimum-pingpong", genOptimum(t), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			host, err := cudamem.NewHost(api)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(host.Close)
			ref := openEngine(t, c.dir, Options{Variant: c.variant, PrefillChunk: 4})
			dev := openEngine(t, c.dir, Options{Variant: c.variant, PrefillChunk: 4, kvMemory: devMemory{m: host}})
			if dev.Spec().ShareBuffer != c.shared {
				t.Fatalf("share buffer %v, want %v", dev.Spec().ShareBuffer, c.shared)
			}
			if ref.KVMemory() != "cpu" || dev.KVMemory() != "host" {
				t.Fatalf("kv memory %s / %s", ref.KVMemory(), dev.KVMemory())
			}
			var reqs []GenRequest
			for i, p := range prompts {
				reqs = append(reqs, greedy(p, 5+2*i))
			}
			want := generate(t, ref, reqs)
			got := generate(t, dev, reqs)
			for i := range reqs {
				if fmt.Sprint(got[i].OutputIDs) != fmt.Sprint(want[i].OutputIDs) || got[i].Stop != want[i].Stop {
					t.Errorf("request %d: device route %v (%s), Go memory %v (%s)", i, got[i].OutputIDs, got[i].Stop, want[i].OutputIDs, want[i].Stop)
				}
			}
			alone := generate(t, dev, reqs[2:3])[0]
			if fmt.Sprint(alone.OutputIDs) != fmt.Sprint(want[2].OutputIDs) {
				t.Errorf("alone %v, batched %v", alone.OutputIDs, want[2].OutputIDs)
			}
			if dev.KVCacheBytes() == 0 {
				t.Error("device-route cache holds no memory")
			}
		})
	}
}

// TestKVMemoryChoice: CPU sessions keep Go memory; a CUDA session on a
// machine without the CUDA runtime falls back to host memory with one
// one-line notice naming the cause.
func TestKVMemoryChoice(t *testing.T) {
	needRuntime(t)
	rt, _ := LoadRuntime(DefaultLibOptions(""))
	spec, err := ReadSpec(sharedModel(t, "tiny-qwen2-gqa-fp16"), "")
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	note := func(s string) { notices = append(notices, s) }
	m, closeMem := kvMemory(rt, "cpu", spec, note)
	closeMem()
	if m.name() != "cpu" || len(notices) != 0 {
		t.Errorf("cpu session: memory %s, notices %q", m.name(), notices)
	}
	m, closeMem = kvMemory(rt, "cuda:0", spec, note)
	defer closeMem()
	if _, err := cudamem.OpenCUDA(mustAPI(t, rt), 0); err == nil {
		if m.name() != "cuda:0" {
			t.Errorf("CUDA present but KV in %s (notices %q)", m.name(), notices)
		}
		return
	}
	if m.name() != "cpu" || len(notices) != 1 || !strings.Contains(notices[0], "CUDA") || strings.Contains(notices[0], "\n") {
		t.Errorf("no CUDA: memory %s, notices %q", m.name(), notices)
	}
}

// genOptimum writes a tiny optimum-flavour model (position_ids, growing
// present tensors: the ping-pong cache) with the project's generator.
func genOptimum(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := genmodel.Tiny()
	cfg.Flavour = genmodel.FlavourOptimum
	cfg.Vocab = 1024 // the test prompts use ids up to 999
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustAPI(t *testing.T, rt Runtime) *cudamem.API {
	t.Helper()
	a, err := cudamem.Load(rt.Path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestStaticDecodeSteps runs the CUDA-graph step layout (device-resident
// ids, positions and a mask as wide as the cache, fixed addresses) through
// the host route: tokens must equal the plain path's, batched, alone, with
// rows stopping at different lengths, and with the cache reused across calls.
func TestStaticDecodeSteps(t *testing.T) {
	needRuntime(t)
	rt, _ := LoadRuntime(DefaultLibOptions(""))
	host, err := cudamem.NewHost(mustAPI(t, rt))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	dir := sharedModel(t, "tiny-qwen2-gqa-fp16")
	ref := openEngine(t, dir, Options{PrefillChunk: 4})
	st := openEngine(t, dir, Options{PrefillChunk: 4, kvMemory: devMemory{m: host}, staticSteps: true})
	if st.graphs == nil {
		t.Fatal("static steps not enabled")
	}
	var reqs []GenRequest
	for i, p := range prompts {
		reqs = append(reqs, greedy(p, 3+3*i))
	}
	for round := 0; round < 2; round++ {
		want := generate(t, ref, reqs)
		got := generate(t, st, reqs)
		for i := range reqs {
			if fmt.Sprint(got[i].OutputIDs) != fmt.Sprint(want[i].OutputIDs) || got[i].Stop != want[i].Stop {
				t.Errorf("round %d request %d: static %v (%s), plain %v (%s)", round, i, got[i].OutputIDs, got[i].Stop, want[i].OutputIDs, want[i].Stop)
			}
		}
	}
	alone := generate(t, st, reqs[1:2])[0]
	if fmt.Sprint(alone.OutputIDs) != fmt.Sprint(generate(t, ref, reqs[1:2])[0].OutputIDs) {
		t.Errorf("alone differs: %v", alone.OutputIDs)
	}
	// Static steps need device-route memory; Go memory leaves them off.
	plain := openEngine(t, dir, Options{staticSteps: true})
	if plain.graphs != nil {
		t.Error("static steps enabled with Go-memory KV cache")
	}
}
