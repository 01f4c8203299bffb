#!/usr/bin/env bash
# bench/gpu/unpack.sh — on the GPU machine: collect the parts that
# bench/gpu/pack.sh made (each device call copies its part folder with
# `unpack.sh --stash DIR`), then, once all are there, verify and unpack them
# into /tmp/llsum-gpu/lib.
#   unpack.sh --stash .gpu/pN   copy one part folder to /tmp/llsum-gpu/parts
#   unpack.sh                   verify SHA256SUMS and extract
set -euo pipefail
DEST=${LLSUM_GPU_DIR:-/tmp/llsum-gpu}
mkdir -p "$DEST/parts"
if [ "${1:-}" = --stash ]; then
	cp "$2"/llsum-gpu.tar.xz.part* "$2"/SHA256SUMS "$DEST/parts/"
	ls -la "$DEST/parts" >&2
	exit 0
fi
cd "$DEST/parts"
sha256sum -c SHA256SUMS >&2
cat llsum-gpu.tar.xz.part* | xz -d | tar -C "$DEST" -xf -
ls -la "$DEST/lib" >&2
