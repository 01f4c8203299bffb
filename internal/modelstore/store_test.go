package modelstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/dirlock"
	"github.com/llsum/llsum/internal/hub"
	"github.com/llsum/llsum/internal/hub/hubtest"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in, repo, part, dir string
		bad                 bool
	}{
		{in: "llama-3.2-1b-cpu-int4", repo: "onnx-community/Llama-3.2-1B-Instruct-ONNX", part: subCPU, dir: "llama-3.2-1b-cpu-int4"},
		{in: "org/repo", repo: "org/repo", dir: "org/repo"},
		{in: "org/repo:q4f16", repo: "org/repo", part: "q4f16", dir: "org/repo--q4f16"},
		{in: "org/repo:cuda/cuda-fp16/", repo: "org/repo", part: "cuda/cuda-fp16", dir: "org/repo--cuda--cuda-fp16"},
		{in: "llama-9", bad: true},
		{in: "org/../x", bad: true},
		{in: "org/re--po", bad: true},
		{in: "org/repo:../../etc", bad: true},
		{in: "/abs/path", bad: true},
		{in: "org/repo/extra", bad: true},
	}
	for _, c := range cases {
		r, err := ParseRef(c.in)
		if c.bad {
			if !errors.Is(err, ErrBadName) {
				t.Errorf("%q: err = %v, want ErrBadName", c.in, err)
			}
			continue
		}
		if err != nil || r.Repo != c.repo || r.Part != c.part || r.dirName() != c.dir {
			t.Errorf("%q: %+v %q %v", c.in, r, r.dirName(), err)
		}
	}
}

func listing(paths ...string) []hub.Entry {
	var es []hub.Entry
	for _, p := range paths {
		es = append(es, hub.Entry{Type: "file", Path: p, Size: 1})
	}
	return es
}

func TestSelect(t *testing.T) {
	tjsRepo := listing(".gitattributes", "config.json", "tokenizer.json", "README.md",
		"onnx/model_q4.onnx", "onnx/model_q4.onnx_data", "onnx/model_q4f16.onnx", "onnx/model_fp16.onnx")
	genaiRepo := listing("cpu/int4/genai_config.json", "cpu/int4/model.onnx", "cpu/int4/model.onnx.data", "cpu/int4/tokenizer.json", "cuda/fp16/model.onnx")
	cases := []struct {
		ref     string
		list    []hub.Entry
		want    string // local paths, comma-separated
		wantErr string
	}{
		{ref: "o/r:q4", list: tjsRepo, want: "config.json,tokenizer.json,README.md,onnx/model_q4.onnx,onnx/model_q4.onnx_data"},
		{ref: "o/r:q4f16", list: tjsRepo, want: "config.json,tokenizer.json,README.md,onnx/model_q4f16.onnx"},
		{ref: "o/r", list: tjsRepo, wantErr: "o/r:fp16, o/r:q4, o/r:q4f16"},
		{ref: "o/r:int8", list: tjsRepo, wantErr: `no folder or variant "int8" (variants: fp16, q4, q4f16)`},
		{ref: "o/r:cpu/int4", list: genaiRepo, want: "genai_config.json,model.onnx,model.onnx.data,tokenizer.json"},
		{ref: "o/r:gpu", list: genaiRepo, wantErr: "folders: cpu/int4, cuda/fp16"},
		{ref: "o/r", list: genaiRepo, want: "cpu/int4/genai_config.json,cpu/int4/model.onnx,cpu/int4/model.onnx.data,cpu/int4/tokenizer.json,cuda/fp16/model.onnx"},
		{ref: "llama-3.2-1b-q4", list: listing("config.json", "tokenizer.json", "onnx/model_q4.onnx"), want: "config.json,tokenizer.json,onnx/model_q4.onnx"},
		{ref: "llama-3.2-1b-q4", list: listing("config.json", "onnx/model_q4.onnx"), wantErr: "tokenizer.json is not in onnx-community/Llama-3.2-1B-Instruct"},
	}
	for _, c := range cases {
		r, err := ParseRef(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := Select(r, c.list)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.ref, err, c.wantErr)
			}
			continue
		}
		var got []string
		for _, s := range sel {
			got = append(got, s.Local)
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("%s: got %v %v, want %s", c.ref, got, err, c.want)
		}
	}
}

// TestPullListResolve pulls a built-in name from the stand-in Hub, pulls it
// again (nothing fetched), lists and resolves it.
func TestPullListResolve(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	weights := make([]byte, 2<<20)
	for i := range weights {
		weights[i] = byte(i * 7)
	}
	prefix := subCPU + "/"
	srv.AddRepo(repo1Genai, &hubtest.Repo{Files: map[string]hubtest.File{
		prefix + "genai_config.json": {Data: []byte(`{"model":{}}`)},
		prefix + "model.onnx":        {Data: []byte("graph"), LFS: true},
		prefix + "model.onnx.data":   {Data: weights, LFS: true},
		prefix + "tokenizer.json":    {Data: []byte(`{}`)},
		"cuda/other/model.onnx":      {Data: weights[:64<<10], LFS: true},
	}})
	store := Store{Dir: t.TempDir()}
	c := hub.New(srv.URL(), "")
	c.ChunkSize = 256 << 10
	r, err := ParseRef("llama-3.2-1b-cpu-int4")
	if err != nil {
		t.Fatal(err)
	}
	var total, present int64
	files := 0
	m, err := store.Pull(context.Background(), c, r, PullOptions{
		Start: func(tot, pre int64) { total, present = tot, pre },
		File:  func(string, hub.Result) { files++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(weights))+5+12+2 || present != 0 || files != 4 || m.Commit != srv.Commit || len(m.Files) != 4 {
		t.Fatalf("first pull: total %d present %d files %d manifest %+v", total, present, files, m)
	}
	dir := store.Path(r)
	if got, _ := os.ReadFile(filepath.Join(dir, "model.onnx.data")); len(got) != len(weights) {
		t.Fatalf("weights: %d bytes", len(got))
	}
	before := srv.StorageRequests.Load()
	_, err = store.Pull(context.Background(), c, r, PullOptions{Start: func(tot, pre int64) { total, present = tot, pre }})
	if err != nil || present != total || srv.StorageRequests.Load() != before {
		t.Fatalf("second pull fetched again: present %d of %d, storage requests %d -> %d, %v", present, total, before, srv.StorageRequests.Load(), err)
	}

	// A file deleted by hand is fetched again, alone.
	os.Remove(filepath.Join(dir, "model.onnx"))
	_, err = store.Pull(context.Background(), c, r, PullOptions{Start: func(tot, pre int64) { total, present = tot, pre }})
	if err != nil || total-present != 5 {
		t.Fatalf("repair pull: %d of %d present, %v", present, total, err)
	}

	// An interrupted pull of another ref shows as incomplete.
	r2, _ := ParseRef(repo1Genai + ":cuda/other")
	srv.Faults.Rate.Store(1 << 10)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = store.Pull(ctx, c, r2, PullOptions{})
	cancel()
	if err == nil {
		t.Fatal("throttled pull finished within its deadline")
	}
	models, err := store.List()
	if err != nil || len(models) != 2 {
		t.Fatalf("list: %+v %v", models, err)
	}
	if models[1].Name != repo1Genai+"--cuda--other" || !models[1].Incomplete || models[1].Manifest != nil {
		t.Errorf("interrupted: %+v", models[1])
	}
	if models[0].Name != "llama-3.2-1b-cpu-int4" || models[0].Incomplete || models[0].Manifest == nil || models[0].Size < int64(len(weights)) {
		t.Errorf("pulled: %+v", models[0])
	}

	if got, ok := store.Resolve("llama-3.2-1b-cpu-int4"); !ok || got != dir {
		t.Errorf("Resolve(name) = %q %v", got, ok)
	}
	if got, ok := store.Resolve(dir); !ok || got != dir {
		t.Errorf("Resolve(path) = %q %v", got, ok)
	}
	if got, ok := store.Resolve("llama-3.2-3b-q4"); ok || got != "llama-3.2-3b-q4" {
		t.Errorf("Resolve(not pulled) = %q %v", got, ok)
	}
}

// TestConcurrentPullRefused: a second pull of the same name while one holds
// the folder's lock fails at once, naming the holder.
func TestConcurrentPullRefused(t *testing.T) {
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("org/m", &hubtest.Repo{Files: map[string]hubtest.File{"config.json": {Data: []byte("{}")}}})
	store := Store{Dir: t.TempDir()}
	r, _ := ParseRef("org/m")
	lock, err := dirlock.Acquire(context.Background(), filepath.Join(store.Path(r), lockName), dirlock.Exclusive, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Pull(context.Background(), hub.New(srv.URL(), ""), r, PullOptions{})
	var busy *dirlock.BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "another llsum pull") || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("err = %v", err)
	}
	lock.Release()
	if _, err := store.Pull(context.Background(), hub.New(srv.URL(), ""), r, PullOptions{}); err != nil {
		t.Fatal(err)
	}
}
