#!/usr/bin/env bash
# install-onnxruntime.sh — install the ONNX Runtime 1.29 shared library that
# llsum loads, into "$LLSUM_CACHE/onnxruntime/1.29.0/". A thin wrapper over
# `llsum setup` (built from this clone), kept for CI, `make deps` and old
# instructions; see `llsum setup --help` for sources, pins and checks.
#
# Usage:
#   scripts/install-onnxruntime.sh            # CPU library (npm onnxruntime-node@1.29.0, pinned sha256)
#   scripts/install-onnxruntime.sh --gpu      # + CUDA 13 provider libraries
#   scripts/install-onnxruntime.sh --source release [--gpu]
#                                             # Microsoft's official release tarball instead of npm
#
# ORT_RELEASE_URL and ORT_RELEASE_SHA256 still work (as --release-url and
# --sha256). Prints the library's path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,15p' "$0"; exit 0 ;; esac
args=("$@")
[ -n "${ORT_RELEASE_URL:-}" ] && args+=(--release-url "$ORT_RELEASE_URL")
[ -n "${ORT_RELEASE_SHA256:-}" ] && args+=(--sha256 "$ORT_RELEASE_SHA256")
(cd "$root" && go build -o bin/llsum ./cmd/llsum)
exec "$root/bin/llsum" setup "${args[@]}"
