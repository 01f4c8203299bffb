#!/usr/bin/env bash
# Test set-up: the ONNX Runtime 1.29 CPU library for infer/onnx (idempotent).
set -euo pipefail
exec bash "$(cd "$(dirname "$0")/.." && pwd)/install-onnxruntime.sh"
