#!/usr/bin/env bash
# Scale benchmark for `llsum run` (README "Running from cron and CI"):
# N small text files (default 100,000; 1000000 for the million-file
# figures), extractive backend. It runs llsum twice over them (a full run,
# then an incremental run that skips all) and prints, for each: wall time,
# documents per second and peak RSS (from /usr/bin/time -v, else from
# /proc/PID/status VmHWM); then the state database's size per document.
#
#   bench/scale/run.sh [N] [WORKDIR]
#   INDEX=jsonl bench/scale/run.sh 1000000 /var/tmp/scale   # --index jsonl|none|json
#
# WORKDIR (default: a temporary folder, removed at the end) receives in/,
# out/ and the binary. Needs about 1.2 GB of disk for 100k files and 12 GB
# for 1M (inodes: 3 per document).
set -euo pipefail
N=${1:-100000}
KEEP=0
if [[ -n "${2:-}" ]]; then WORK=$2; KEEP=1; mkdir -p "$WORK"; else WORK=$(mktemp -d); fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
trap '[[ $KEEP = 1 ]] || rm -rf "$WORK"' EXIT

echo "building llsum"
(cd "$ROOT" && go build -o "$WORK/llsum" ./cmd/llsum)

if [[ ! -f "$WORK/in/.count-$N" ]]; then
  echo "creating $N small text files in $WORK/in"
  rm -rf "$WORK/in" "$WORK/out"
  python3 - "$WORK/in" "$N" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
words = "solar wind battery grid storage policy market price cost growth panel energy demand supply network region".split()
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000), "e%02d" % ((i // 100) % 10))
    os.makedirs(d, exist_ok=True)
    text = ". ".join(" ".join(rng.choice(words) for _ in range(10)) for _ in range(6)) + ".\n"
    with open(os.path.join(d, "doc%06d.txt" % i), "w") as f:
        f.write(text)
PY
  touch "$WORK/in/.count-$N"
fi

measure() { # label, args...
  local label=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$WORK/time.txt" "$WORK/llsum" run -q "$@" || true
    rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$WORK/time.txt")
  else
    "$WORK/llsum" run -q "$@" & local pid=$! hwm=0
    while kill -0 $pid 2>/dev/null; do
      v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0); [[ ${v:-0} -gt $hwm ]] && hwm=$v; sleep 0.2
    done
    wait $pid || true; rss=$hwm
  fi
  t1=$(date +%s.%N)
  python3 - "$label" "$N" "$t0" "$t1" "$rss" <<'PY'
import sys
label, n, t0, t1, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = t1 - t0
print(f"{label:<22} {n} docs  {s:8.1f} s  {n/s:9.0f} docs/s  peak RSS {rss/1024:7.1f} MiB")
PY
}

JOBS=${JOBS:-$(nproc)}
INDEX=${INDEX:-json}
rm -rf "$WORK/out"
measure "full run (-j $JOBS)" -j "$JOBS" --index "$INDEX" -o "$WORK/out" "$WORK/in"
measure "incremental (all skip)" -j "$JOBS" --index "$INDEX" -o "$WORK/out" "$WORK/in"
python3 - "$WORK/out" "$INDEX" <<'PY'
import json, sys
out, fmt = sys.argv[1], sys.argv[2]
if fmt == "json":
    idx = json.load(open(out + "/index.json"))
    print("index.json:", idx["counts"], "documents listed:", len(idx["documents"]))
elif fmt == "jsonl":
    with open(out + "/index.jsonl") as f:
        head = json.loads(f.readline())
        n = sum(1 for _ in f)
    print("index.jsonl:", head["counts"], "documents listed:", n)
PY
ls -l "$WORK/out"/index.json* "$WORK/out/.llsum"/state.db* 2>/dev/null | awk '{print $5, $9}'
db=$(stat -c %s "$WORK/out/.llsum/state.db")
wal=$(stat -c %s "$WORK/out/.llsum/state.db-wal" 2>/dev/null || echo 0)
python3 -c "import sys; n,d,w=map(int,sys.argv[1:]); print(f'state database: {d+w} bytes, {(d+w)/n:.0f} B/doc')" "$N" "$db" "$wal"
