#!/usr/bin/env bash
# Tokenizer benchmark: llsum's Go tokenizer against tiktoken (the Rust core
# compiled to WASM, from npm) encoding the same "mixed prose" bytes on one
# core, plus the pathological inputs and the load time. Prints both
# throughputs and the ratio. Needs go, node and the npm client.
#
#   bash bench/tokenizer/run.sh            # from the repository root
#
# MB/s is wall-clock throughput; cpu-MB/s divides by the CPU time the process
# used, which a busy shared machine disturbs less.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. bench/tokenizer/peer.sh

# The sample: pdftotext output of real manuals (English prose and code,
# Russian, Chinese, Arabic), the same list as infer/tokenizer/bench_test.go.
ref="$root/../shared/corpus/reference"
text="$(mktemp)"
trap 'rm -f "$text"' EXIT
for f in R-intro.txt R-FAQ.txt doxygen-manual.txt booktabs.txt babel-russianb.txt ctex-faq.txt arabluatex-al-Jahiz.txt; do
	cat "$ref/$f" >>"$text"
done
export LLSUM_BENCH_TEXT="$text"

pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi

echo "== Go (llsum infer/tokenizer), GOMAXPROCS=1 ${pin[*]}"
go_out="$(GOMAXPROCS=1 "${pin[@]}" go test -run '^$' -bench 'BenchmarkEncode$|BenchmarkCount$|BenchmarkPathological|BenchmarkLoad' -benchtime "${BENCHTIME:-10x}" ./infer/tokenizer)"
echo "$go_out" | grep -E '^Benchmark'
echo "== peer: tiktoken@1.0.22 (WASM), node $(node --version)"
peer_out="$("${pin[@]}" node bench/tokenizer/peer.js "$peer" "$tokdir/tokenizer.json" "$text" "${PEER_ITERS:-5}")"
echo "$peer_out"

go_mbs="$(echo "$go_out" | awk '$1 ~ /^BenchmarkEncode(-[0-9]+)?$/ {for (i = 1; i < NF; i++) if ($(i+1) == "MB/s") print $i}')"
go_cpu="$(echo "$go_out" | awk '$1 ~ /^BenchmarkEncode(-[0-9]+)?$/ {for (i = 1; i < NF; i++) if ($(i+1) == "cpu-MB/s") print $i}')"
go_tokens="$(echo "$go_out" | awk '$1 ~ /^BenchmarkEncode(-[0-9]+)?$/ {for (i = 1; i < NF; i++) if ($(i+1) == "tokens") print $i}')"
peer_mbs="$(echo "$peer_out" | sed -n 's/.* MB\/s=\([0-9.]*\).*/\1/p')"
peer_cpu="$(echo "$peer_out" | sed -n 's/.*cpu-MB\/s=\([0-9.]*\).*/\1/p')"
peer_tokens="$(echo "$peer_out" | sed -n 's/.*tokens=\([0-9]*\).*/\1/p')"
echo "== summary ($(wc -c <"$text") bytes of mixed prose)"
echo "tokens: go $go_tokens, tiktoken $peer_tokens$([ "$go_tokens" = "$peer_tokens" ] && echo ' (same)' || echo ' (DIFFERENT)')"
awk -v g="$go_mbs" -v p="$peer_mbs" -v gc="$go_cpu" -v pc="$peer_cpu" 'BEGIN {
	printf "encode MB/s:     go %.2f, tiktoken-wasm %.2f, ratio %.2fx\n", g, p, g / p
	printf "encode cpu-MB/s: go %.2f, tiktoken-wasm %.2f, ratio %.2fx\n", gc, pc, gc / pc
}'
