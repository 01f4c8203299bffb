#!/usr/bin/env bash
# Tools for the GitHub Action's checks (idempotent, quick when present):
# actionlint (make lint checks action.yml through .github/workflows) into
# "$LLSUM_CACHE/tools/bin", and jq (the action's run step reads index.json
# with it, as GitHub's runners do; tests/action runs that step).
set -euo pipefail
cache="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
bin="$cache/tools/bin"
ver=1.7.12
if ! "$bin/actionlint" -version 2>/dev/null | grep -qx "v\?$ver"; then
	echo "action-tools: installing actionlint $ver" >&2
	GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ver"
fi
if ! command -v jq >/dev/null 2>&1; then
	echo "action-tools: installing jq" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y -q jq >/dev/null; else sudo apt-get install -y -q jq >/dev/null; fi
fi
