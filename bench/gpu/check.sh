#!/usr/bin/env bash
# bench/gpu/check.sh — CUDA-graph decoding against plain decoding on the GPU
# (issue 18): `llsum dev graph-check` runs the same greedy requests (1024
# random prompt ids, 128 new tokens, EOS ignored) at batch 1, 4 and 16 on
# both paths and compares the logits of every step, not only the ids: the
# first step whose ids differ, the largest logit difference (absolute and
# in fp16 ulps) over the steps both paths were fed the same tokens, and
# whether every chosen id is the host argmax of its logits (the check of
# the on-device argmax). It exits 1 when ids differ by more than rounding.
# Usage (GPU machine, after bench/gpu/unpack.sh): check.sh [OUT_DIR]
# Environment: LLSUM_BIN, MODEL (default /tmp/m3b, generated if missing),
#   BATCHES (1,4,16), CONTEXT (1024), TOKENS (128); DEVICE=cpu and ORT_LIB
#   for a dry run without a GPU.
set -uo pipefail
H=$(cd "$(dirname "$0")" && pwd)
OUTD=${1:-${OUT:-/tmp/llsum-check}}
mkdir -p "$OUTD"
NV=$(python3 -c 'import glob,os,site; print(":".join(p for s in site.getsitepackages() for p in glob.glob(os.path.join(s,"nvidia","**","lib"),recursive=True)))' 2>/dev/null)
export LD_LIBRARY_PATH=/tmp/llsum-gpu/lib:${NV:+$NV:}/usr/local/cuda/lib64
L=${LLSUM_BIN:-$H/../bin/llsum}
M=${MODEL:-/tmp/m3b}
[ -f "$M/genai_config.json" ] || "$L" dev gen-model --preset 3b --dtype fp16 --out "$M" >&2 || exit 1
"$L" dev graph-check --model "$M" --device "${DEVICE:-cuda}" --ort-lib "${ORT_LIB:-/tmp/llsum-gpu/lib/libonnxruntime.so.1}" --prefill-chunk 2048 \
	--batches "${BATCHES:-1,4,16}" --context "${CONTEXT:-1024}" --tokens "${TOKENS:-128}" --out "$OUTD/graph-check.json" >/dev/null
rc=$?
echo "check.sh: graph-check exit $rc (0: ids equal, or differing only at a near tie within fp16 rounding); $OUTD/graph-check.json" >&2
exit $rc
