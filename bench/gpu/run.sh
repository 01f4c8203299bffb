#!/usr/bin/env bash
# bench/gpu/run.sh — the GPU benchmark of issue 6, in one prepared script.
#
# On a bare GPU machine (no Go, no network) it installs the carried ONNX
# Runtime libraries (bench/gpu/unpack.sh put them in /tmp/llsum-gpu/lib),
# generates a Llama-3.2-3B-shaped fp16 genai model (GQA) with
# `llsum dev gen-model --preset 3b`, and times, for llsum (`llsum dev bench`,
# KV cache in device memory) and the PyTorch peer (bench/gpu/peer.py:
# transformers LlamaForCausalLM, random weights, fp16, sdpa):
#   prefill tok/s at 1K, 8K, 32K, 128K prompt tokens;
#   decode tok/s at batch 1, 4, 16 at 4K context, batch 1 at 1K, 8K and 32K;
#   a summarization workload (synthetic documents of 2-60 pages, map-reduce
#   over 8K-token chunks, batches of 8, 256 new tokens, EOS ignored):
#   documents/hour and GPU memory peak (nvidia-smi), at engine level and
#   end to end through `llsum run` over the same documents as text files;
# then the bandwidth limit of decode and the llsum/peer ratios. JSON and a
# RESULTS.md land in the output folder.
#
# Usage:
#   bench/gpu/run.sh [--device cuda|cpu] [--preset 3b|tiny] [--out DIR]
#   --device cpu (with --preset tiny, the default there) is the dry run that
#   debugs the script on a machine without a GPU.
# Environment: LLSUM_BIN (llsum binary; default: built with go if present),
#   ORT_DIR (folder of libonnxruntime.so.1 and, for CUDA, the provider libs),
#   PREFILL, DECODE, DECODE_TOKENS, DOCS, NEW_TOKENS, PREFILL_CHUNK, SKIP_PEER=1,
#   RUN_CONTEXT, RUN_JOBS (the `llsum run` row's --context and -j),
#   RUN_GRAPH=1 (a second `llsum run` row with --cuda-graph),
#   BUDGET (seconds for the whole run; each phase gets a time limit inside
#   it so the report is always written; default 480 on cuda).
set -uo pipefail

DEVICE=cuda
PRESET=
OUTD=
while [ $# -gt 0 ]; do
	case "$1" in
	--device) DEVICE=$2; shift ;;
	--preset) PRESET=$2; shift ;;
	--out) OUTD=$2; shift ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTD=${OUTD:-$HERE/out}
WORK=${BENCH_WORK:-/tmp/llsum-bench-$$}
mkdir -p "$OUTD" "$WORK"
OUTD=$(cd "$OUTD" && pwd)
rm -f "$OUTD"/*.json "$OUTD"/RESULTS.md "$OUTD"/pcie-dmon.txt
say() { echo "== run.sh: $*" >&2; }
T0=$(date +%s)

if [ "$DEVICE" = cuda ]; then
	PRESET=${PRESET:-3b}
	PREFILL=${PREFILL:-1024,8192,32768,131072}
	DECODE=${DECODE:-1x1024,1x4096,4x4096,16x4096,1x8192,1x32768}
	DECODE_TOKENS=${DECODE_TOKENS:-64}
	DOCS=${DOCS:-12}
	NEW_TOKENS=${NEW_TOKENS:-256}
	PREFILL_CHUNK=${PREFILL_CHUNK:-2048}
	ORT_DIR=${ORT_DIR:-/tmp/llsum-gpu/lib}
	BUDGET=${BUDGET:-480}
else
	PRESET=${PRESET:-tiny}
	PREFILL=${PREFILL:-256,1024}
	DECODE=${DECODE:-1x256,1x512,4x512,16x512,1x1024}
	DECODE_TOKENS=${DECODE_TOKENS:-16}
	DOCS=${DOCS:-6}
	NEW_TOKENS=${NEW_TOKENS:-32}
	PREFILL_CHUNK=${PREFILL_CHUNK:-256}
	ORT_DIR=${ORT_DIR:-${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}/onnxruntime/1.29.0}
	BUDGET=${BUDGET:-900}
fi
PY=${PYTHON:-python3}
# limit CAP RESERVE: seconds a phase may take: at most CAP, leaving RESERVE
# of the budget for the phases after it.
limit() {
	local left=$((BUDGET - ($(date +%s) - T0) - $2))
	[ $left -lt 10 ] && left=10
	[ $left -gt $1 ] && left=$1
	echo $left
}

# --- environment ---------------------------------------------------------
say "environment"
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader 2>&1 | head -2 >&2 || true
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
$PY - "$OUTD/env.json" "$GPU_NAME" "$ORT_DIR" <<'PYEOF' >&2
import json, os, sys, glob, platform
out, gpu, ortdir = sys.argv[1:4]
e = {"gpu_name": gpu or "cpu", "ort_dir": ortdir, "ort_files": sorted(os.listdir(ortdir)) if os.path.isdir(ortdir) else []}
for m in ("onnxruntime", "torch", "transformers"):
    try:
        mod = __import__(m)
        e[m] = getattr(mod, "__version__", "?")
        if m == "onnxruntime":
            e["onnxruntime_providers"] = mod.get_available_providers()
            e["onnxruntime_cuda_lib"] = glob.glob(os.path.join(os.path.dirname(mod.__file__), "capi", "libonnxruntime_providers_cuda*"))
    except Exception as ex:
        e[m] = f"missing: {ex}"
e["python"] = platform.python_version()
json.dump(e, open(out, "w"), indent=1)
print(json.dumps(e))
PYEOF

# CUDA libraries for the provider: the pip nvidia-* wheels beside PyTorch,
# then the toolkit.
if [ "$DEVICE" = cuda ]; then
	NV=$($PY -c 'import glob,os,site; ds=[p for s in site.getsitepackages() for p in glob.glob(os.path.join(s,"nvidia","**","lib"),recursive=True)]; print(":".join(ds))' 2>/dev/null)
	export LD_LIBRARY_PATH="$ORT_DIR:${NV:+$NV:}/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
else
	export LD_LIBRARY_PATH="$ORT_DIR:${LD_LIBRARY_PATH:-}"
fi
ORT_LIB="$ORT_DIR/libonnxruntime.so.1"
[ -f "$ORT_LIB" ] || { echo "run.sh: $ORT_LIB missing (bench/gpu/unpack.sh, or scripts/install-onnxruntime.sh)" >&2; exit 1; }

# --- llsum binary ----------------------------------------------------------
LLSUM=${LLSUM_BIN:-}
if [ -z "$LLSUM" ]; then
	command -v go >/dev/null || { echo "run.sh: set LLSUM_BIN (no go here to build one)" >&2; exit 1; }
	say "building llsum"
	(cd "$ROOT" && go build -trimpath -o "$WORK/llsum" ./cmd/llsum) || exit 1
	LLSUM=$WORK/llsum
fi
"$LLSUM" version >&2 || true

# --- model -------------------------------------------------------------------
MODEL=$WORK/model-$PRESET
if [ ! -f "$MODEL/genai_config.json" ]; then
	say "generating the $PRESET model (genai, GQA, fp16)"
	rm -rf "$MODEL"
	t=$(date +%s)
	timeout "$(limit 150 300)" "$LLSUM" dev gen-model --preset "$PRESET" --dtype fp16 --out "$MODEL" >&2 || { echo "run.sh: gen-model failed" >&2; exit 1; }
	say "model in $(($(date +%s) - t)) s: $(du -sh "$MODEL" | cut -f1)"
fi

$PY "$HERE/tools.py" workload "$WORK/workload.json" "$DOCS" "$NEW_TOKENS" "$PRESET"
[ "$DEVICE" = cuda ] && $PY "$HERE/tools.py" bandwidth "$OUTD/bandwidth.json" cuda || echo '{}' >"$OUTD/bandwidth.json"

# nvidia-smi sampler: peak memory.used (MiB) while a command runs.
memwatch_start() {
	[ "$DEVICE" = cuda ] || return 0
	(while :; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1; sleep 0.25; done) >"$WORK/mem-$1.txt" 2>/dev/null &
	MEMPID=$!
}
memwatch_stop() {
	[ "$DEVICE" = cuda ] || { echo null; return; }
	kill "$MEMPID" 2>/dev/null; wait "$MEMPID" 2>/dev/null
	sort -n "$WORK/mem-$1.txt" | tail -1
}
BASE_MIB=$( [ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 || echo 0)

LL=("$LLSUM" dev bench --model "$MODEL" --device "$DEVICE" --ort-lib "$ORT_LIB" --prefill-chunk "$PREFILL_CHUNK")

# --- llsum: prefill and decode rows -----------------------------------------
say "llsum: prefill $PREFILL, decode $DECODE ($DECODE_TOKENS tokens)"
# PCIe traffic counters (MB/s) while llsum runs: a host-resident KV cache
# would show as GB/s in both directions during decode.
DMONPID=
if [ "$DEVICE" = cuda ]; then
	nvidia-smi dmon -s t -o T >"$OUTD/pcie-dmon.txt" 2>&1 &
	DMONPID=$!
fi
timeout "$(limit 150 170)" "${LL[@]}" --prefill "$PREFILL" --decode "$DECODE" --decode-tokens "$DECODE_TOKENS" --out "$OUTD/llsum-micro.json" >/dev/null 2> >(tee "$WORK/llsum-micro.err" >&2)
rc=$?
[ -n "$DMONPID" ] && kill "$DMONPID" 2>/dev/null
[ $rc -eq 0 ] || say "llsum micro exited $rc"

# --- llsum with CUDA graphs: decode rows and the workload ---------------------
if [ "$DEVICE" = cuda ] && [ "${SKIP_GRAPH:-0}" != 1 ]; then
	say "llsum --cuda-graph: decode $DECODE, workload"
	timeout "$(limit 120 170)" "${LL[@]}" --cuda-graph --prefill "" --decode "$DECODE" --decode-tokens "$DECODE_TOKENS" --workload "$WORK/workload.json" \
		--out "$OUTD/llsum-graph.json" >/dev/null 2> >(tee "$WORK/llsum-graph.err" >&2) || say "llsum --cuda-graph failed"
fi

# --- llsum: workload, own process for a clean memory peak --------------------
say "llsum: workload of $DOCS documents"
memwatch_start llsum
timeout "$(limit 90 150)" "${LL[@]}" --prefill "" --decode "" --workload "$WORK/workload.json" --out "$OUTD/llsum-e2e.json" >/dev/null 2> >(tee "$WORK/llsum-e2e.err" >&2)
LL_MIB=$(memwatch_stop llsum)

# --- llsum run: the same documents end to end through the CLI ---------------
# Text files with the workload's page counts; map-reduce over ~8K-token
# chunks (--context), EOS ignored so lengths are fixed, -j documents in flight
# batched by the engine. Wall time includes loading the model.
say "llsum run: end to end over $DOCS synthetic documents"
$PY "$HERE/tools.py" corpus "$WORK/corpus" "$DOCS" "$PRESET"
RUN_CONTEXT=${RUN_CONTEXT:-$([ "$PRESET" = 3b ] && echo 8704 || echo 1280)}
# run_row NAME [FLAGS…]: one `llsum run` over the corpus into $OUTD/NAME.json.
run_row() {
	local name=$1 rc t ms mib
	shift
	rm -rf "$WORK/run-out"
	memwatch_start "$name"
	t=$(date +%s%N)
	timeout "$(limit 150 200)" "$LLSUM" run -q --force --model "$MODEL" --device "$DEVICE" --ort-lib "$ORT_LIB" \
		--prefill-chunk "$PREFILL_CHUNK" --ignore-eos --max-new-tokens "$NEW_TOKENS" --context "$RUN_CONTEXT" -j "${RUN_JOBS:-8}" \
		--format json --out "$WORK/run-out" "$@" "$WORK/corpus" 2> >(tee "$WORK/$name.err" >&2)
	rc=$?
	ms=$(( ($(date +%s%N) - t) / 1000000 ))
	mib=$(memwatch_stop "$name")
	# documents/hour counts the documents the index says were summarized.
	$PY - "$WORK/run-out/index.json" "$OUTD/$name.json" "$DOCS" "$rc" "$ms" "${mib:-}" "$RUN_CONTEXT" "${RUN_JOBS:-8}" "$*" <<'PYEOF'
import json, sys
idx, out, docs, rc, ms, mib, ctx, jobs, flags = sys.argv[1:10]
try:
    counts = json.load(open(idx)).get("counts", {})
except Exception as ex:
    counts = {"error": f"index: {ex}"}
ok = counts.get("ok", 0)
r = {"docs": int(docs), "ok": ok, "failed": counts.get("failed"), "exit": int(rc), "wall_ms": int(ms),
     "docs_per_hour": ok * 3600000 / int(ms), "gpu_mib": int(mib) if mib.isdigit() else None, "context": int(ctx),
     "jobs": int(jobs), "flags": flags}
if "error" in counts:
    r["error"] = counts["error"]
json.dump(r, open(out, "w"))
PYEOF
	cat "$OUTD/$name.json" >&2
}
run_row llsum-run
# RUN_GRAPH=1: the same again with --cuda-graph.
[ "${RUN_GRAPH:-0}" = 1 ] && run_row llsum-run-graph --cuda-graph

# --- Ctrl-C after the (CUDA) provider has loaded -----------------------------
say "signal check: SIGINT to a running llsum"
# a workload far longer than the wait: the signal must stop it
$PY -c 'import json,sys; json.dump({"docs":1,"new_tokens":100000,"batches":[[512]]*1000},open(sys.argv[1],"w"))' "$WORK/sig.json"
"${LL[@]}" --prefill "" --decode "" --workload "$WORK/sig.json" >/dev/null 2>"$WORK/sig.err" &
SPID=$!
for _ in $(seq 1 120); do grep -q "model open" "$WORK/sig.err" 2>/dev/null && break; kill -0 $SPID 2>/dev/null || break; sleep 0.5; done
sleep 3
SENT=$(date +%s%N)
kill -INT $SPID 2>/dev/null
for _ in $(seq 1 60); do kill -0 $SPID 2>/dev/null || break; sleep 0.5; done
if kill -0 $SPID 2>/dev/null; then
	SIGRC=timeout
	kill -KILL $SPID
	wait $SPID 2>/dev/null
else
	wait $SPID
	SIGRC=$?
fi
SIGS=$(( ($(date +%s%N) - SENT) / 1000000 ))
grep -v '^$' "$WORK/sig.err" | tail -3 >&2
echo "{\"signal\":\"SIGINT\",\"exit\":\"$SIGRC\",\"want\":130,\"ms_to_exit\":$SIGS,\"kv_memory\":\"$(grep -o 'KV cache in [^ ]* memory' "$WORK/sig.err" | head -1)\"}" >"$OUTD/signal.json"
cat "$OUTD/signal.json" >&2

# --- PyTorch peer ------------------------------------------------------------
PE_MIB=null
if [ "${SKIP_PEER:-0}" != 1 ]; then
	say "peer: transformers"
	memwatch_start peer
	PYTHONUNBUFFERED=1 timeout "$(limit 240 10)" $PY "$HERE/peer.py" --preset "$PRESET" --device "$DEVICE" --prefill "$PREFILL" --decode "$DECODE" \
		--decode-tokens "$DECODE_TOKENS" --workload "$WORK/workload.json" --out "$OUTD/peer.json" >/dev/null 2> >(tee "$WORK/peer.err" >&2) ||
		{ say "peer failed"; [ -s "$OUTD/peer.json" ] || echo "{\"error\":\"$(tail -1 "$WORK/peer.err" | tr -d '"\\')\"}" >"$OUTD/peer.json"; }
	PE_MIB=$(memwatch_stop peer)
else
	echo '{"error":"skipped (SKIP_PEER=1)"}' >"$OUTD/peer.json"
fi
echo "{\"baseline_mib\":${BASE_MIB:-0},\"llsum_mib\":${LL_MIB:-null},\"peer_mib\":${PE_MIB:-null},\"note\":\"whole workload process, nvidia-smi memory.used max (includes the baseline)\"}" >"$OUTD/memory.json"

# --- report -------------------------------------------------------------------
say "report (total $(($(date +%s) - T0)) s)"
CMD="bench/gpu/run.sh --device $DEVICE --preset $PRESET (PREFILL=$PREFILL DECODE=$DECODE DECODE_TOKENS=$DECODE_TOKENS DOCS=$DOCS NEW_TOKENS=$NEW_TOKENS PREFILL_CHUNK=$PREFILL_CHUNK)"
$PY "$HERE/tools.py" report "$OUTD" "$PRESET" "$DEVICE" "$CMD"
