# Sourced by run.sh and crosscheck.sh: makes sure the tokenizer files and the
# peer (npm package tiktoken, WASM) are in the cache, and sets tokdir and
# peer to their folders.
export LLSUM_CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
bash scripts/setup.d/20-tokenizer.sh
tokdir="$LLSUM_CACHE/tokenizers/llama3.1"
peer="$LLSUM_CACHE/bench/tiktoken-1.0.22/package"
if [ ! -f "$peer/tiktoken.cjs" ]; then
	mkdir -p "$(dirname "$peer")"
	(cd "$(dirname "$peer")" && npm pack --silent tiktoken@1.0.22 >/dev/null && tar -xzf tiktoken-1.0.22.tgz)
fi
