#!/usr/bin/env bash
# bench/cpu/setup.sh — installs llama.cpp's CPU build for the CPU benchmark:
# node-llama-cpp 3.21.1 with its prebuilt @node-llama-cpp/linux-x64 binary
# (no other optional binaries: CUDA/Vulkan ones are large and unused), into
# "$LLSUM_CACHE/bench/llamacpp". Idempotent and quick when installed. The
# package's postinstall would fetch or build llama.cpp when no prebuilt
# binary fits; NODE_LLAMA_CPP_SKIP_DOWNLOAD keeps it from trying.
set -euo pipefail
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
dir="$CACHE/bench/llamacpp"
version=3.21.1
if [ -f "$dir/node_modules/node-llama-cpp/package.json" ] && [ -d "$dir/node_modules/@node-llama-cpp/linux-x64" ] &&
	grep -q "\"version\": \"$version\"" "$dir/node_modules/node-llama-cpp/package.json"; then
	echo "bench/cpu: node-llama-cpp $version is in $dir" >&2
	exit 0
fi
command -v npm >/dev/null || { echo "bench/cpu: npm and node are needed (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"llsum-bench-llamacpp","private":true,"type":"module"}' >"$dir/package.json"
echo "bench/cpu: installing node-llama-cpp $version into $dir" >&2
(cd "$dir" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund --silent --omit=optional \
	"node-llama-cpp@$version" "@node-llama-cpp/linux-x64@$version")
