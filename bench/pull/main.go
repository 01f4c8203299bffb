// Command pull compares `llsum pull` with curl on the same file from the
// same local Hub stand-in (internal/hub/hubtest), in the same run, and
// prints each one's throughput and the ratio.
//
// Usage: go run ./bench/pull [-size MiB] [-rounds N] [-connections N] [-llsum BIN]
//
// Each round downloads a random LFS file of -size MiB once with
// `curl -sfL -o FILE URL` (the resolve URL, following the redirect to the
// storage host) and once with `llsum pull` into a fresh cache; the two
// alternate so that neither gets a warmer machine. llsum's time includes
// what curl does not do: the listing, the SHA-256 check and the fsync
// before the rename.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/llsum/llsum/internal/hub/hubtest"
)

func main() {
	size := flag.Int("size", 512, "file size in MiB")
	rounds := flag.Int("rounds", 3, "rounds (each: one curl, one llsum pull)")
	conns := flag.Int("connections", 8, "llsum pull --connections")
	bin := flag.String("llsum", "", "llsum binary (default: go build ./cmd/llsum)")
	serve := flag.Bool("serve", false, "only serve the file (print the endpoint) until killed")
	flag.Parse()
	if *serve {
		srv := hubtest.New()
		data := make([]byte, *size<<20)
		rand.Read(data)
		srv.AddRepo("bench/model", &hubtest.Repo{Files: map[string]hubtest.File{"model.onnx.data": {Data: data, LFS: true}}})
		fmt.Println(srv.URL())
		select {}
	}
	if err := run(*size, *rounds, *conns, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pull:", err)
		os.Exit(1)
	}
}

func run(sizeMiB, rounds, conns int, bin string) error {
	work, err := os.MkdirTemp("", "llsum-pull-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if bin == "" {
		bin = filepath.Join(work, "llsum")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/llsum").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	data := make([]byte, sizeMiB<<20)
	rand.Read(data)
	srv := hubtest.New()
	defer srv.Close()
	srv.AddRepo("bench/model", &hubtest.Repo{Files: map[string]hubtest.File{"model.onnx.data": {Data: data, LFS: true}}})
	url := srv.URL() + "/bench/model/resolve/main/model.onnx.data"
	fmt.Printf("file: %d MiB, %d rounds, llsum --connections %d, cpus %d\n", sizeMiB, rounds, conns, runtime.NumCPU())

	var curlT, pullT []float64
	for i := 0; i < rounds; i++ {
		out := filepath.Join(work, "curl.out")
		d, err := timed(exec.Command("curl", "-sfL", "-o", out, url))
		if err != nil {
			return fmt.Errorf("curl: %w", err)
		}
		if st, err := os.Stat(out); err != nil || st.Size() != int64(len(data)) {
			return fmt.Errorf("curl wrote a wrong file: %v", err)
		}
		os.Remove(out)
		curlT = append(curlT, d)

		cache := filepath.Join(work, fmt.Sprintf("cache%d", i))
		cmd := exec.Command(bin, "pull", "-q", "--connections", fmt.Sprint(conns), "bench/model")
		cmd.Env = append(os.Environ(), "LLSUM_CACHE="+cache, "HF_ENDPOINT="+srv.URL(), "HF_TOKEN=", "LLSUM_NO_PROGRESS=1")
		d, err = timed(cmd)
		if err != nil {
			return fmt.Errorf("llsum pull: %w", err)
		}
		os.RemoveAll(cache)
		pullT = append(pullT, d)
		fmt.Printf("round %d: curl %.2f s (%.0f MiB/s), llsum pull %.2f s (%.0f MiB/s)\n",
			i+1, curlT[i], float64(sizeMiB)/curlT[i], pullT[i], float64(sizeMiB)/pullT[i])
	}
	c, p := median(curlT), median(pullT)
	fmt.Printf("median: curl %.0f MiB/s, llsum pull %.0f MiB/s; llsum/curl throughput ratio %.2f\n",
		float64(sizeMiB)/c, float64(sizeMiB)/p, c/p)
	return nil
}

func timed(cmd *exec.Cmd) (float64, error) {
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	return time.Since(start).Seconds(), err
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
