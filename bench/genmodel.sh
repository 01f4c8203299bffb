#!/usr/bin/env bash
# Figures for `llsum dev gen-model`: wall time to write the Llama 3.2 3B and
# 1B shapes (fp16 genai, and the 3B as optimum), including the final sync,
# then one prefill + decode run of the 3B model on ONNX Runtime (CPU) when
# the library is installed (`make deps`).
#
# Usage: bench/genmodel.sh [WORKDIR]   (about 13 GB free needed; default a temp dir)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
bin="$work/llsum"
(cd "$root" && go build -o "$bin" ./cmd/llsum)
echo "cpus: $(nproc); disk: $(df -h "$work" | awk 'NR==2 {print $4 " free"}')"
TIMEFORMAT='  %R s wall (user %U s, sys %S s)'
for spec in "3b genai" "3b optimum" "1b genai"; do
	set -- $spec
	echo "== write $1 $2 (fp16)"
	time { "$bin" dev gen-model --preset "$1" --flavour "$2" --out "$work/$1-$2" && sync; }
done
du -sh "$work"/*-*
rm -rf "$work/3b-optimum" "$work/1b-genai"
echo "== ONNX Runtime run of the 3B genai model"
(cd "$root" && LLSUM_GENMODEL_BIG_DIR="$work/3b-genai" LLSUM_GENMODEL_BIG_PRESET=3b \
	go test -count=1 -timeout 30m -run TestBigModel -v ./internal/genmodel/ | grep -E 'load|prefill|decode|greedy|ok|FAIL|SKIP')
