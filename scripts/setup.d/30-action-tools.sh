#!/usr/bin/env bash
# jq, which the GitHub Action's run step uses to read index.json (as on
# GitHub's runners) and tests/action runs (idempotent; actionlint is a
# pinned lint tool of the Makefile). A Debian package: installed with
# apt-get, refreshing the package lists first when they are missing or old.
set -euo pipefail
command -v jq >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "action-tools: install jq with your package manager" >&2
	exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "action-tools: installing jq" >&2
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends jq >/dev/null; then
	"${sudo[@]}" apt-get update -q >/dev/null
	"${sudo[@]}" apt-get install -y -q --no-install-recommends jq >/dev/null
fi
