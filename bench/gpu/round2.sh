#!/usr/bin/env bash
# bench/gpu/round2.sh — the GPU runs issue 18 leaves, in one prepared script.
#
# Phases, in this order (each under its own time limit, each writing into
# the output folder, so a run cut short keeps what finished):
#   check     bench/gpu/check.sh: `llsum dev graph-check` at batch 1, 4, 16
#             (1024 prompt ids, 128 new tokens): CUDA-graph vs plain decoding,
#             logits step by step, and the on-device argmax against the host
#             argmax of the same logits (graph-check.json). ~60 s.
#   argmax    `llsum dev bench` decode rows 1x1024, 1x4096, 4x4096, 16x4096
#             (256 new tokens) four ways: plain / --cuda-graph, each with the
#             on-device argmax (default) and --host-argmax; ms/step of each
#             and whether the output digests agree (ab-*.json, argmax.txt).
#             ~120 s.
#   profile   nsys (Nsight Systems) of batch-1 decode at 4K context with
#             --cuda-graph (--cuda-graph-trace node) and without, twice each
#             (16 and 80 new tokens): the difference of the two kernel
#             summaries over 64 steps is one decode step's GPU time split by
#             kernel kind (stepsplit-graph.json, stepsplit-plain.json). ~120 s.
#   e2e       bench/gpu/run.sh with PREFILL=8192,32768,
#             DECODE=1x4096,4x4096,16x4096, DECODE_TOKENS=128, SKIP_GRAPH=1:
#             engine rows, the workload, the `llsum run --device cuda` row over
#             the workload's documents as text files (documents/hour, GPU
#             memory peak), plain and with --cuda-graph (RUN_GRAPH=1), and the
#             PyTorch peer (e2e/). ~300 s.
#   llamacpp  the llama.cpp CUDA peer: runs $LLAMACPP_BENCH (default
#             bench/llamacpp/run.sh from the repository root, the entry point
#             of issue 15's GGUF writer and llama.cpp driver) as
#               run.sh --device cuda --preset 3b --dtype f16 --prefill 8192,32768
#                      --decode 1x4096,4x4096,16x4096 --decode-tokens 128
#                      --workload FILE --out DIR
#             expecting DIR/llamacpp.json with llsum dev bench's rows (prefill,
#             decode, e2e, gpu_mib); when the script is absent it writes
#             llamacpp.json saying so and the phase is skipped.
# A vLLM probe (python3 -c 'import vllm') is recorded in round2.json.
#
# Usage (GPU machine, after bench/gpu/unpack.sh, see README.md):
#   LLSUM_BIN=$PWD/.gpu/run/bin/llsum bash .gpu/run/bench/round2.sh --out $OUT [PHASE…]
# No phase named: all of them (about 9 minutes: split them over two device
# calls, e.g. `check argmax profile` then `e2e llamacpp`, on a warm machine
# the generated model in /tmp/m3b is reused).
set -uo pipefail
H=$(cd "$(dirname "$0")" && pwd)
OUTD=${OUT:-/tmp/llsum-round2}
PHASES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUTD=$2; shift ;;
	-h | --help) sed -n '2,45p' "$0"; exit 0 ;;
	check | argmax | profile | e2e | llamacpp) PHASES+=("$1") ;;
	*) echo "round2.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ ${#PHASES[@]} -gt 0 ] || PHASES=(check argmax profile e2e llamacpp)
mkdir -p "$OUTD"
OUTD=$(cd "$OUTD" && pwd)
NV=$(python3 -c 'import glob,os,site; print(":".join(p for s in site.getsitepackages() for p in glob.glob(os.path.join(s,"nvidia","**","lib"),recursive=True)))' 2>/dev/null)
export LD_LIBRARY_PATH=/tmp/llsum-gpu/lib:${NV:+$NV:}/usr/local/cuda/lib64
L=${LLSUM_BIN:-$H/../bin/llsum}
# DEVICE=cpu (with the tiny preset, ORT_LIB the CPU library) dry-runs the
# check and argmax phases on a machine without a GPU.
DEVICE=${DEVICE:-cuda}
PRESET=$([ "$DEVICE" = cpu ] && echo tiny || echo 3b)
M=${MODEL:-/tmp/m$PRESET}
ORT=${ORT_LIB:-/tmp/llsum-gpu/lib/libonnxruntime.so.1}
AB_DECODE=$([ "$DEVICE" = cpu ] && echo 1x256,4x256 || echo 1x1024,1x4096,4x4096,16x4096)
export LLSUM_BIN=$L MODEL=$M DEVICE ORT_LIB=$ORT
LL=("$L" dev bench --model "$M" --device "$DEVICE" --ort-lib "$ORT" --prefill-chunk 2048 --prefill "")
say() { echo "== round2.sh: $*" >&2; }
[ -f "$M/genai_config.json" ] || { say "generating the $PRESET model"; "$L" dev gen-model --preset $PRESET --dtype fp16 --out "$M" >&2 || exit 1; }
declare -A RC SECS

phase_check() { timeout 150 bash "$H/check.sh" "$OUTD"; }

phase_argmax() {
	local g a rc=0
	for g in plain graph; do
		for a in device host; do
			timeout 60 "${LL[@]}" $([ $g = graph ] && echo --cuda-graph) $([ $a = host ] && echo --host-argmax) \
				--decode "$AB_DECODE" --decode-tokens 256 --out "$OUTD/ab-$g-$a.json" >/dev/null 2>>"$OUTD/argmax.err" || rc=$?
		done
	done
	python3 - "$OUTD" <<'PYEOF' | tee "$OUTD/argmax.txt" >&2
import json, sys, glob, os
d = sys.argv[1]
runs = {}
for p in sorted(glob.glob(f"{d}/ab-*.json")):
    try:
        runs[os.path.basename(p)[3:-5]] = json.load(open(p))
    except Exception as ex:
        print(p, "unreadable:", ex)
for name, r in runs.items():
    print(f"{name:14s} device_argmax={r.get('device_argmax')} cuda_graph={r.get('cuda_graph')} " +
          " ".join(f"{x['batch']}x{x['context']}:{x.get('step_ms', 0):.2f}ms" for x in r.get("decode", [])))
for path in ("plain", "graph"):
    a, b = runs.get(f"{path}-device", {}), runs.get(f"{path}-host", {})
    da = [x.get("digest") for x in a.get("decode", [])]
    db = [x.get("digest") for x in b.get("decode", [])]
    print(f"{path}: device and host argmax digests {'EQUAL' if da and da == db else 'DIFFER'}: {da} / {db}")
PYEOF
	return $rc
}

find_nsys() {
	command -v nsys 2>/dev/null && return
	ls -d /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys /usr/local/cuda*/nsight-systems*/bin/nsys 2>/dev/null | head -1
}

phase_profile() {
	local nsys g n tag rc=0
	nsys=$(find_nsys)
	[ -n "$nsys" ] || { echo '{"error":"nsys not found"}' >"$OUTD/stepsplit.json"; return 1; }
	"$nsys" --version >&2
	for g in --cuda-graph ""; do
		tag=${g:+graph}; tag=${tag:-plain}
		for n in 16 80; do
			timeout 90 "$nsys" profile --force-overwrite true -o "/tmp/prof-$tag-$n" --trace cuda ${g:+--cuda-graph-trace node} \
				"${LL[@]}" $g --decode 1x4096 --decode-tokens $n >/dev/null 2>>"$OUTD/profile.err" || rc=$?
			"$nsys" stats --force-export true --report cuda_gpu_kern_sum,cuda_gpu_mem_time_sum --format csv \
				--output "/tmp/prof-$tag-$n" "/tmp/prof-$tag-$n.nsys-rep" >/dev/null 2>>"$OUTD/profile.err" || rc=$?
		done
		cp /tmp/prof-$tag-*_cuda_gpu_*.csv "$OUTD/" 2>/dev/null
		python3 "$H/tools.py" stepsplit "/tmp/prof-$tag-16_cuda_gpu_kern_sum.csv" "/tmp/prof-$tag-80_cuda_gpu_kern_sum.csv" 64 \
			"$OUTD/stepsplit-$tag.json" "/tmp/prof-$tag-16_cuda_gpu_mem_time_sum.csv" "/tmp/prof-$tag-80_cuda_gpu_mem_time_sum.csv" >&2 || rc=$?
	done
	return $rc
}

phase_e2e() {
	PREFILL=${PREFILL:-8192,32768} DECODE=${DECODE:-1x4096,4x4096,16x4096} DECODE_TOKENS=${DECODE_TOKENS:-128} SKIP_GRAPH=1 RUN_GRAPH=1 \
		BUDGET=${BUDGET:-330} BENCH_WORK=/tmp/llsum-bench-gpu bash "$H/run.sh" --out "$OUTD/e2e"
}

phase_llamacpp() {
	local lb=${LLAMACPP_BENCH:-$PWD/bench/llamacpp/run.sh}
	if [ ! -f "$lb" ]; then
		echo "{\"error\":\"$lb not present: the llama.cpp CUDA peer (issue 15's GGUF writer and node-llama-cpp driver) is not on this branch\"}" >"$OUTD/llamacpp.json"
		say "llama.cpp peer skipped: $lb not present"
		return 0
	fi
	[ -f /tmp/llsum-bench-gpu/workload.json ] || python3 "$H/tools.py" workload /tmp/llsum-bench-gpu/workload.json 12 256 3b
	timeout 300 bash "$lb" --device cuda --preset 3b --dtype f16 --prefill 8192,32768 --decode 1x4096,4x4096,16x4096 \
		--decode-tokens 128 --workload /tmp/llsum-bench-gpu/workload.json --out "$OUTD"
}

for p in "${PHASES[@]}"; do
	say "phase $p"
	t=$(date +%s)
	"phase_$p"
	RC[$p]=$?
	SECS[$p]=$(($(date +%s) - t))
	say "phase $p: exit ${RC[$p]} in ${SECS[$p]} s"
done
VLLM=$(python3 -c 'import vllm; print(vllm.__version__)' 2>&1 | tail -1)
{
	printf '{"phases":{'
	sep=
	for p in "${PHASES[@]}"; do printf '%s"%s":{"exit":%s,"seconds":%s}' "$sep" "$p" "${RC[$p]}" "${SECS[$p]}"; sep=,; done
	printf '},"vllm":"%s","gpu":"%s"}\n' "$(echo "$VLLM" | tr -d '"\\')" "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
} >"$OUTD/round2.json"
cat "$OUTD/round2.json" >&2
