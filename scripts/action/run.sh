#!/usr/bin/env bash
# Step "Summarize" of action.yml: llsum run --digest over the input paths,
# the digest appended to the job summary, paths and counts as step outputs.
# Reads the INPUT_* variables action.yml sets and the runner's GITHUB_*;
# exits with llsum's exit code (after the summary and outputs are written).
set -uo pipefail
: "${RUNNER_TEMP:?not running in a GitHub runner (RUNNER_TEMP unset)}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT unset}" "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY unset}"
bin="${LLSUM_BIN:-llsum}"
cd "${GITHUB_WORKSPACE:-.}"

out="${INPUT_OUT:-}"
[ -n "$out" ] || out="$RUNNER_TEMP/llsum-summaries"
digest="${INPUT_DIGEST:-llsum-digest.md}"
case "$digest" in *.md) ;; *.json) digest="${digest%.json}.md" ;; *) digest="$digest.md" ;; esac
digest_json="${digest%.md}.json"

args=(run --out "$out" --digest "$digest" --style "${INPUT_STYLE:-brief}")
[ -n "${INPUT_MODEL:-}" ] && args+=(--model "$INPUT_MODEL")
[ -n "${INPUT_BACKEND:-}" ] && args+=(--backend "$INPUT_BACKEND")
[ -n "${INPUT_ENDPOINT:-}" ] && args+=(--endpoint "$INPUT_ENDPOINT")
[ -n "${INPUT_SCHEMA:-}" ] && args+=(--schema "$INPUT_SCHEMA")
if [ -n "${INPUT_ARGS:-}" ]; then
	read -r -a extra <<<"$INPUT_ARGS"
	args+=("${extra[@]}")
fi
paths=()
while IFS= read -r line; do
	read -r -a words <<<"$line"
	paths+=("${words[@]}")
done <<<"${INPUT_PATHS:-}"
[ "${#paths[@]}" -gt 0 ] || { echo "::error::the paths input is empty"; exit 2; }

echo "llsum ${args[*]} ${paths[*]}"
"$bin" "${args[@]}" -- "${paths[@]}"
code=$?

index="$out/index.json"
{
	echo "digest=$(realpath -m "$digest")"
	echo "digest-json=$(realpath -m "$digest_json")"
	echo "index=$(realpath -m "$index")"
} >>"$GITHUB_OUTPUT"
if [ -f "$index" ]; then
	for k in ok failed skipped; do
		echo "$k=$(jq -r ".counts.$k // 0" "$index")" >>"$GITHUB_OUTPUT"
	done
fi
if [ -f "$digest" ]; then
	cat "$digest" >>"$GITHUB_STEP_SUMMARY"
	echo >>"$GITHUB_STEP_SUMMARY"
else
	echo "llsum wrote no digest (exit $code); see the log." >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$code" -ne 0 ]; then
	echo "::error::llsum run exited $code"
fi
exit "$code"
