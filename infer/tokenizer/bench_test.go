package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llsum/llsum/infer/tokenizer/tokenizertest"
)

// benchFiles make the "mixed prose" sample: pdftotext output of real
// manuals in ../shared/corpus/reference (English prose and code, Russian,
// Chinese, Arabic), the text llsum encodes in practice.
var benchFiles = []string{
	"R-intro.txt", "R-FAQ.txt", "doxygen-manual.txt", "booktabs.txt",
	"babel-russianb.txt", "ctex-faq.txt", "arabluatex-al-Jahiz.txt",
}

// benchText returns the file named by LLSUM_BENCH_TEXT (bench/tokenizer/run.sh
// sets it so that the peer encodes the same bytes) or the sample above.
func benchText(b *testing.B) string {
	b.Helper()
	if f := os.Getenv("LLSUM_BENCH_TEXT"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		return string(data)
	}
	dir := tokenizertest.Shared(b, "corpus", "reference")
	var sb strings.Builder
	for _, f := range benchFiles {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		sb.Write(data)
	}
	return sb.String()
}

// BenchmarkEncode measures ordinary-text encoding throughput (MB/s, one
// goroutine) on the mixed prose sample.
func BenchmarkEncode(b *testing.B) {
	tok := llama(b)
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	n := 0
	cpu := cpuTime()
	for b.Loop() {
		n = len(tok.EncodeOrdinary(text))
	}
	reportCPU(b, cpu, len(text))
	b.ReportMetric(float64(n), "tokens")
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds throughput per CPU second, which a busy shared machine
// disturbs less than wall time (run with GOMAXPROCS=1).
func reportCPU(b *testing.B, start time.Duration, size int) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
	}
}

// BenchmarkCount is BenchmarkEncode without building the id slice.
func BenchmarkCount(b *testing.B) {
	tok := llama(b)
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		tok.Count(text)
	}
	reportCPU(b, cpu, len(text))
}

// BenchmarkPathological encodes 100,000-character runs that defeat naive
// BPE or backtracking regexes; each must take well under 0.1 s.
func BenchmarkPathological(b *testing.B) {
	tok := llama(b)
	for _, tc := range []struct{ name, text string }{
		{"word_a", strings.Repeat("a", 100_000)},
		{"word_mixed", strings.Repeat("Supercalifragilistic", 5_000)},
		{"spaces", strings.Repeat(" ", 100_000)},
		{"spaces_then_word", strings.Repeat(" ", 100_000) + "x"},
		{"newlines", strings.Repeat("\n", 100_000)},
		{"digits", strings.Repeat("7", 100_000)},
		{"punct", strings.Repeat("!", 100_000)},
		{"cjk", strings.Repeat("語", 100_000)},
		{"special_text", strings.Repeat("<|eot_id|", 11_112)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.text)))
			var worst time.Duration
			cpu := cpuTime()
			defer func() { b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op") }()
			for b.Loop() {
				start := time.Now()
				tok.Encode(tc.text, EncodeOptions{Special: true})
				worst = max(worst, time.Since(start))
			}
			b.ReportMetric(worst.Seconds()*1000, "worst-ms")
		})
	}
}

// BenchmarkLoad measures loading the 9 MB Llama tokenizer.json.
func BenchmarkLoad(b *testing.B) {
	dir := llamaDir(b)
	cpu := cpuTime()
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op")
}
