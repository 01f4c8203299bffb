#!/usr/bin/env bash
# bench/cpu/run.sh — llsum against llama.cpp on the CPU, the Llama 3.2 1B
# shape in 4-bit, in one run:
#   - llsum: `llsum dev gen-model --preset 1b --dtype int4` (MatMulNBits,
#     block 32, fp32 I/O, accuracy_level 4, Q/K/V packed into one
#     qkv_proj: the builder's cpu-int4 export);
#   - llama.cpp (node-llama-cpp 3.21.1, CPU build): a GGUF of the same shape
#     in Q4_0 that `go run ./bench/cpu gguf` writes (random weights, tied
#     embeddings, the Llama 3 vocabulary and merges in its metadata).
# For each context and batch it measures llsum, then llama.cpp, each in a
# fresh process (prefill tok/s, decode tok/s, peak RSS), and prints the
# table and the llsum/llama.cpp ratios. Before each measurement it drops
# that engine's model files from the page cache (`cpu evict`), so each
# starts cold: a file just written sits in the cache in 2 MB folios, and
# every embedding row a prompt touches then counts 2 MB of llsum's RSS. Models are generated once into
# "$LLSUM_CACHE/bench/cpu" (about 2.5 GB).
#
# Environment: CONTEXTS (512,4096), BATCHES (1,4), DECODE (16 tokens),
# THREADS (2), VARIANTS ("plain": the graph as the builder writes it, logits
# for every prompt position, which llsum rewrites at open to compute the
# last position's only; add "full" for that graph run as written
# (LLSUM_FULL_LOGITS=1), "pruned" for the same weights with a pruned
# lm_head), RUN_DOC=1 also times `llsum run --context 8192` on a 20-page PDF
# of ../shared/corpus (fnlineno.pdf), FLASH_ATTENTION=1 runs llama.cpp with
# its flash-attention path (off by default in node-llama-cpp; with it
# llama.cpp's 4K decode is about 6x faster), FLASH_ATTENTION=0,1 runs both
# peers (llama.cpp and llama.cpp-fa) in the same run. LOCK=FILE runs each
# measurement under `flock FILE` (a machine shared with other benchmarks:
# one process at a time holds it, not the whole run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
export LLSUM_CACHE="$CACHE"
work="$CACHE/bench/cpu"
mkdir -p "$work"
threads="${THREADS:-2}"

bash "$root/scripts/install-onnxruntime.sh" >/dev/null
bash "$root/scripts/setup.d/20-tokenizer.sh"
bash "$root/bench/cpu/setup.sh"
peer="$CACHE/bench/llamacpp"
cp "$root/bench/cpu/llama.mjs" "$peer/llsum-llama.mjs"

(cd "$root" && go build -o "$work/llsum" ./cmd/llsum && go build -o "$work/cpu" ./bench/cpu)
gguf="$work/llama-1b-q4_0.gguf"
if [ ! -f "$gguf" ]; then
	echo "bench/cpu: writing $gguf" >&2
	"$work/cpu" gguf -tokenizer "$CACHE/tokenizers/llama3.1/tokenizer.json" -out "$gguf.tmp" && mv "$gguf.tmp" "$gguf"
fi
variants="${VARIANTS:-plain}"
for v in $variants; do
	[ "$v" = full ] && v=plain # the plain folder, run as written
	m="$work/llama-1b-int4-$v"
	# A folder written before the generator packed Q/K/V as the builder
	# does (one qkv_proj MatMulNBits per layer) is written again.
	if [ ! -f "$m/genai_config.json" ] || ! grep -aq qkv_proj "$m/model.onnx"; then
		rm -rf "$m"
		extra=()
		[ "$v" = pruned ] && extra=(--prune-lm-head)
		echo "bench/cpu: writing $m" >&2
		"$work/llsum" -q dev gen-model --preset 1b --dtype int4 "${extra[@]}" --out "$m"
	fi
done

results="$work/results-$(date +%Y%m%dT%H%M%S).jsonl"
IFS=, read -ra contexts <<<"${CONTEXTS:-512,4096}"
IFS=, read -ra batches <<<"${BATCHES:-1,4}"
decode="${DECODE:-16}"
lock=()
[ -n "${LOCK:-}" ] && lock=(flock "$LOCK")
IFS=, read -ra flashes <<<"${FLASH_ATTENTION:-0}"
echo "cpus: $(nproc), threads $threads, llama.cpp flash attention ${FLASH_ATTENTION:-0}, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for c in "${contexts[@]}"; do
	for b in "${batches[@]}"; do
		for v in $variants; do
			echo "bench/cpu: llsum ($v) context $c batch $b, load $(cut -d' ' -f1 /proc/loadavg)" >&2
			m="$work/llama-1b-int4-$v" extra=()
			[ "$v" = full ] && m="$work/llama-1b-int4-plain" extra=(-full-logits)
			"$work/cpu" evict "$m/model.onnx" "$m/model.onnx.data"
			"${lock[@]}" "$work/cpu" llsum -model "$m" "${extra[@]}" -context "$c" -batch "$b" -decode "$decode" -threads "$threads" |
				sed "s/\"engine\":\"llsum\"/\"engine\":\"llsum-$v\"/" | tee -a "$results"
		done
		for fa in "${flashes[@]}"; do
			echo "bench/cpu: llama.cpp (flash attention $fa) context $c batch $b, load $(cut -d' ' -f1 /proc/loadavg)" >&2
			"$work/cpu" evict "$gguf"
			(cd "$peer" && "${lock[@]}" node llsum-llama.mjs "$gguf" "$c" "$b" "$decode" "$threads" "$fa") | tee -a "$results"
		done
	done
done
"$work/cpu" report "$results"

if [ "${RUN_DOC:-0}" = 1 ]; then
	doc="$root/../shared/corpus/pdf/fnlineno.pdf"
	out="$(mktemp -d)"
	echo "bench/cpu: llsum run --context 8192 on $(basename "$doc") (23 pages)" >&2
	TIMEFORMAT='llsum run, one 20-page document: %R s wall (user %U s)'
	time "$work/llsum" run --model "$work/llama-1b-int4-${variants%% *}" --device cpu --threads "$threads" \
		--context 8192 --out "$out" "$doc" >/dev/null
	rm -rf "$out"
fi
