#!/usr/bin/env bash
# Cross-checks llsum's tokenizer against tiktoken (an independent
# implementation, Rust core in WASM) on random strings: N strings of up to
# MAXATOMS pieces drawn from many scripts, whitespace kinds, digits,
# punctuation, contractions and special-token look-alikes. Needs node and the
# npm client.
#
#   bash bench/tokenizer/crosscheck.sh [N [MAXATOMS]]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. bench/tokenizer/peer.sh
cases="$(mktemp)"
trap 'rm -f "$cases"' EXIT
node bench/tokenizer/crosscheck.js "$peer" "$tokdir/tokenizer.json" "$cases" "${1:-20000}" "${2:-40}"
TOKENIZER_CROSSCHECK="$cases" go test -count=1 -run '^TestCrossCheck$' -v ./infer/tokenizer | grep -E 'crosscheck|^(ok|FAIL|---)'
