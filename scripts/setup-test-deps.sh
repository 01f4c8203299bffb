#!/usr/bin/env bash
# Installs everything the test suite needs that is not a Go module: runs each
# script in scripts/setup.d in name order. Each script is idempotent and
# installs into the llsum cache folder (LLSUM_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/llsum).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export LLSUM_CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
mkdir -p "$LLSUM_CACHE"
shopt -s nullglob
for s in "$here"/setup.d/*.sh; do
	echo "setup: $(basename "$s")" >&2
	bash "$s"
done
