#!/usr/bin/env bash
# fetch-model.sh NAME [DEST] — download a published Llama 3.2 ONNX model
# folder that llsum loads, into "$LLSUM_CACHE/models/NAME" (or DEST). A thin
# wrapper over `llsum pull NAME` (built from this clone): checksums, resume,
# parallel ranges, HF_ENDPOINT and HF_TOKEN are its. `llsum models
# --available` lists the names (README "Getting a model" says which to pick).
# Llama 3.2 is under the Llama 3.2 Community License: by downloading you
# accept it. Afterwards: llsum run --model NAME docs/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:-}"
[ -n "$name" ] || { sed -n '2,8p' "$0"; exit 2; }
(cd "$root" && go build -o bin/llsum ./cmd/llsum)
dir="$("$root/bin/llsum" pull "$name")"
if [ -n "${2:-}" ]; then
	mkdir -p "$2"
	cp -al "$dir/." "$2/" 2>/dev/null || cp -a "$dir/." "$2/"
	dir="$2"
fi
echo "$dir"
