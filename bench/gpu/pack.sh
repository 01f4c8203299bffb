#!/usr/bin/env bash
# bench/gpu/pack.sh — prepare what a bare GPU machine needs for run.sh, in
# parts small enough for the device tool (each call carries at most 64 MiB,
# working tree included).
#
# Makes DEST (default .gpu/ at the repository root, ignored by git) with
#   p1/ p2/ p3/ …  one part each of llsum-gpu.tar.xz (< PART_MIB MiB), plus
#                  SHA256SUMS in every part folder;
#   run/           bin/llsum (x86-64, -trimpath -ldflags '-s -w') and
#                  bench/ (bench/gpu/*.sh *.py): carried with the last part.
# `pack.sh bin` redoes run/ only (after a code change).
# The archive holds lib/: libonnxruntime.so.1 (npm onnxruntime-node@1.29.0) and the CUDA
# provider libraries libonnxruntime_providers_{cuda,shared}.so (npm
# com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, CUDA 13 + cuDNN 9),
# installed with scripts/install-onnxruntime.sh --gpu (verified checksums).
# bench/gpu/unpack.sh reassembles it on the GPU machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MODE=all
if [ "${1:-}" = bin ]; then MODE=bin; shift; fi
DEST=${1:-$ROOT/.gpu}
rm -rf "$DEST/run"
mkdir -p "$DEST/run/bin" "$DEST/run/bench"
(cd "$ROOT" && CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags='-s -w' -o "$DEST/run/bin/llsum" ./cmd/llsum)
cp "$HERE"/*.sh "$HERE"/*.py "$HERE"/*.md "$DEST/run/bench/" 2>/dev/null || true
if [ "$MODE" = bin ]; then
	du -sh "$DEST/run" >&2
	exit 0
fi
PART_MIB=${PART_MIB:-60}
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
ORT="$CACHE/onnxruntime/1.29.0"

if [ ! -f "$ORT/libonnxruntime_providers_cuda.so" ] || [ ! -f "$ORT/libonnxruntime.so.1" ]; then
	"$ROOT/scripts/install-onnxruntime.sh" --gpu
fi
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/lib"
for f in libonnxruntime.so.1 libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
	cp "$ORT/$f" "$STAGE/lib/"
done
rm -rf "$DEST"/p* "$DEST/all"
mkdir -p "$DEST/all"
echo "pack: compressing $(du -sh "$STAGE" | cut -f1) (xz, a few minutes)" >&2
tar -C "$STAGE" -cf - lib | xz -T0 -6 | split -b "${PART_MIB}M" -d -a 1 - "$DEST/all/llsum-gpu.tar.xz.part"
(cd "$DEST/all" && sha256sum llsum-gpu.tar.xz.part* >SHA256SUMS)
i=0
for p in "$DEST"/all/llsum-gpu.tar.xz.part*; do
	i=$((i + 1))
	mkdir -p "$DEST/p$i"
	mv "$p" "$DEST/p$i/"
	cp "$DEST/all/SHA256SUMS" "$DEST/p$i/"
done
rmdir "$DEST/all" 2>/dev/null || rm -rf "$DEST/all"
du -sh "$DEST"/p* >&2
du -sh "$DEST/run" >&2
echo "pack: $i parts in $DEST; carry .gpu/p1 … .gpu/p$i (the last with .gpu/run) in consecutive device calls (bench/gpu/README.md)" >&2
