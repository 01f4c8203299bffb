#!/usr/bin/env bash
# fetch-model.sh NAME [DEST] — download a published Llama 3.2 ONNX model
# folder that llsum loads, into "$LLSUM_CACHE/models/NAME" (or DEST).
#
# Names (see README "Getting a model" for sizes and which to pick):
#   onnxruntime-genai layout (genai_config.json + model.onnx + model.onnx.data):
#     llama-3.2-3b-cpu-int4   llama-3.2-3b-cuda-int4   llama-3.2-3b-cuda-fp16
#     llama-3.2-1b-cpu-int4   llama-3.2-1b-cuda-int4   llama-3.2-1b-cuda-fp16
#   transformers.js / optimum layout (config.json + onnx/model_<variant>.onnx):
#     llama-3.2-3b-q4f16  llama-3.2-3b-q4   llama-3.2-1b-q4f16  llama-3.2-1b-q4
#
# Uses the Hugging Face CLI (`hf download`, from pip's huggingface_hub) when it
# is installed, plain HTTPS with curl otherwise. HF_ENDPOINT changes the hub
# address; HF_TOKEN is sent when set. Llama 3.2 is under the Llama 3.2
# Community License: by downloading you accept it.
# Afterwards: llsum doctor --model "$LLSUM_CACHE/models/NAME"
#
# Any file that fails stops the script with a message naming it (exit 1);
# run it again to resume: hf resumes by itself, curl continues the FILE.part
# it left. Files marked "?" below may be absent from a repository (HTTP 404
# skips them); a 404 on any other file is an error.
# LLSUM_FETCH_WITH=curl (or hf) forces one way of downloading.
set -euo pipefail

name="${1:-}"
[ -n "$name" ] || { sed -n '2,20p' "$0"; exit 2; }
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
dest="${2:-$CACHE/models/$name}"
endpoint="${HF_ENDPOINT:-https://huggingface.co}"

genai_files="genai_config.json model.onnx model.onnx.data tokenizer.json tokenizer_config.json? special_tokens_map.json?"
tjs_files="config.json generation_config.json? tokenizer.json tokenizer_config.json? special_tokens_map.json?"

# repo, folder inside the repo ("" for the root), files (? marks optional)
case "$name" in
llama-3.2-3b-cpu-int4)  repo=onnx-community/Llama-3.2-3B-Instruct-ONNX sub=cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4 files=$genai_files ;;
llama-3.2-3b-cuda-int4) repo=onnx-community/Llama-3.2-3B-Instruct-ONNX sub=cuda/cuda-int4-rtn-block-32 files=$genai_files ;;
llama-3.2-3b-cuda-fp16) repo=onnx-community/Llama-3.2-3B-Instruct-ONNX sub=cuda/cuda-fp16 files=$genai_files ;;
llama-3.2-1b-cpu-int4)  repo=onnx-community/Llama-3.2-1B-Instruct-ONNX sub=cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4 files=$genai_files ;;
llama-3.2-1b-cuda-int4) repo=onnx-community/Llama-3.2-1B-Instruct-ONNX sub=cuda/cuda-int4-rtn-block-32 files=$genai_files ;;
llama-3.2-1b-cuda-fp16) repo=onnx-community/Llama-3.2-1B-Instruct-ONNX sub=cuda/cuda-fp16 files=$genai_files ;;
llama-3.2-3b-q4f16) repo=onnx-community/Llama-3.2-3B-Instruct sub="" files="$tjs_files onnx/model_q4f16.onnx onnx/model_q4f16.onnx_data onnx/model_q4f16.onnx_data_1?" ;;
llama-3.2-3b-q4)    repo=onnx-community/Llama-3.2-3B-Instruct sub="" files="$tjs_files onnx/model_q4.onnx onnx/model_q4.onnx_data onnx/model_q4.onnx_data_1?" ;;
llama-3.2-1b-q4f16) repo=onnx-community/Llama-3.2-1B-Instruct sub="" files="$tjs_files onnx/model_q4f16.onnx" ;;
llama-3.2-1b-q4)    repo=onnx-community/Llama-3.2-1B-Instruct sub="" files="$tjs_files onnx/model_q4.onnx" ;;
*) echo "fetch-model: unknown model $name (run without arguments for the list)" >&2; exit 2 ;;
esac

mkdir -p "$dest"
prefix="${sub:+$sub/}"
with="${LLSUM_FETCH_WITH:-}"
if [ -z "$with" ]; then
	if command -v hf >/dev/null 2>&1; then with=hf; else with=curl; fi
fi
if [ "$with" = hf ]; then
	# hf keeps partial files in $tmp/.cache and resumes them on a rerun.
	tmp="$dest/.download"
	hf download "$repo" --include "${prefix}*" --exclude "${prefix}onnx/*" --local-dir "$tmp" >&2 ||
		{ echo "fetch-model: hf download of $repo/${prefix} failed; run again to resume" >&2; exit 1; }
	for f in $files; do
		case "$f" in
		onnx/*)
			opt=""; case "$f" in *\?) opt=1; f="${f%\?}" ;; esac
			if ! hf download "$repo" "$prefix$f" --local-dir "$tmp" >&2; then
				[ -n "$opt" ] && { echo "fetch-model: $f not published, skipped" >&2; continue; }
				echo "fetch-model: hf download of $repo/$prefix$f failed; run again to resume" >&2
				exit 1
			fi ;;
		esac
	done
	cp -al "$tmp/$prefix." "$dest/" 2>/dev/null || cp -a "$tmp/$prefix." "$dest/"
	rm -rf "$tmp"
else
	command -v curl >/dev/null || { echo "fetch-model: needs hf (pip install huggingface_hub) or curl" >&2; exit 1; }
	auth=()
	[ -n "${HF_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $HF_TOKEN")
	for f in $files; do
		opt=""; case "$f" in *\?) opt=1; f="${f%\?}" ;; esac
		out="$dest/$f"
		if [ -f "$out" ]; then
			echo "fetch-model: $f already there" >&2
			continue
		fi
		mkdir -p "$(dirname "$out")"
		url="$endpoint/$repo/resolve/main/$prefix$f"
		have=0
		[ -f "$out.part" ] && have=$(wc -c <"$out.part")
		if [ "$have" -gt 0 ]; then
			echo "fetch-model: $f (resuming after $have bytes)" >&2
		else
			echo "fetch-model: $f" >&2
		fi
		# -C - continues FILE.part where it stopped; the .part is kept on
		# any failure so that the next run resumes it.
		rc=0
		code=$(curl -fsSL --retry 3 --retry-delay 1 -C - "${auth[@]}" -w '%{http_code}' -o "$out.part" "$url") || rc=$?
		if [ "$rc" -ne 0 ]; then
			if [ "$code" = 416 ] && [ "$have" -gt 0 ]; then
				rc=0 # the .part was complete already
			elif [ "$code" = 404 ] && [ -n "$opt" ]; then
				rm -f "$out.part"
				echo "fetch-model: $f not published, skipped" >&2
				continue
			else
				now=0
				[ -f "$out.part" ] && now=$(wc -c <"$out.part")
				echo "fetch-model: $f: download failed (curl exit $rc, HTTP ${code:-none}) with $now bytes in $out.part; run again to resume" >&2
				exit 1
			fi
		fi
		mv "$out.part" "$out"
	done
fi
echo "fetch-model: done; check it with: llsum doctor --model $dest" >&2
echo "$dest"
