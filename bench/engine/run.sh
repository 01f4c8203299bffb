#!/usr/bin/env bash
# bench/engine/run.sh [MODEL_DIR] — the engine benchmark and its
# transformers.js peer in one command.
#
# Installs what it needs into the llsum cache (LLSUM_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/llsum): the ONNX Runtime library, a generated
# optimum-layout model (4 layers, hidden 512, 8 heads, 2 KV heads, vocabulary
# 128256, fp32; `llsum dev gen-model`) unless MODEL_DIR is given, and
# @huggingface/transformers 4.3.1 from npm (ONNXRUNTIME_NODE_INSTALL=skip: its
# install script would fetch CUDA binaries). Then prints prefill and decode
# tokens/s for llsum and the peer on the same graph and ids, and the ratios.
#
# Environment: CONTEXTS (512,2048,8192), BATCHES (1,4), DECODE (32 tokens),
# REPEATS (3, best kept), THREADS (0: all cores). KEEP=1 also writes the same
# model with a logits_to_keep input and times it in turns with the plain
# one (ratio compare/model: the prefill saving of computing the last
# position's logits only); without MODEL_DIR only.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
export LLSUM_CACHE="$CACHE"

bash "$root/scripts/install-onnxruntime.sh" >/dev/null

model="${1:-$CACHE/bench/model-l4-h512-v128256-optimum}"
if [ ! -f "$model/config.json" ]; then
	echo "bench: generating $model" >&2
	(cd "$root" && go run ./cmd/llsum dev gen-model --flavour optimum --dtype fp32 \
		--layers 4 --hidden 512 --heads 8 --kv-heads 2 --intermediate 1408 \
		--vocab 128256 --context-length 16384 --out "$model")
fi

compare=()
if [ "${KEEP:-0}" = 1 ] && [ -z "${1:-}" ]; then
	keep="$model-keep"
	if [ ! -f "$keep/config.json" ]; then
		echo "bench: generating $keep" >&2
		(cd "$root" && go run ./cmd/llsum dev gen-model --flavour optimum --dtype fp32 \
			--layers 4 --hidden 512 --heads 8 --kv-heads 2 --intermediate 1408 \
			--vocab 128256 --context-length 16384 --logits-to-keep logits_to_keep --out "$keep")
	fi
	compare=(-compare "$keep")
fi

peer="$CACHE/bench/peer"
if [ ! -d "$peer/node_modules/@huggingface/transformers" ]; then
	echo "bench: installing @huggingface/transformers 4.3.1 into $peer" >&2
	mkdir -p "$peer"
	[ -f "$peer/package.json" ] || echo '{"name":"llsum-bench-peer","private":true,"type":"module"}' >"$peer/package.json"
	(cd "$peer" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent @huggingface/transformers@4.3.1)
fi

cd "$root"
exec go run ./bench/engine -model "$model" \
	-contexts "${CONTEXTS:-512,2048,8192}" -batches "${BATCHES:-1,4}" \
	-decode "${DECODE:-32}" -repeats "${REPEATS:-3}" -threads "${THREADS:-0}" -peer "$peer" "${compare[@]}"
