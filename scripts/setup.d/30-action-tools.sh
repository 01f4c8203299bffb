#!/usr/bin/env bash
# jq, which the GitHub Action's run step uses to read index.json (as on
# GitHub's runners) and tests/action runs (idempotent; actionlint is a
# pinned lint tool of the Makefile).
set -euo pipefail
if ! command -v jq >/dev/null 2>&1; then
	echo "action-tools: installing jq" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y -q jq >/dev/null; else sudo apt-get install -y -q jq >/dev/null; fi
fi
