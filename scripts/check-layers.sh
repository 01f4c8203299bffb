#!/usr/bin/env bash
# Checks the import layering of llsum's own (non-test) code with `go list -deps`:
# data flows files -> extract -> chunk -> infer -> summarize -> pipeline -> cmd,
# and no package may depend, directly or not, on one in a higher layer.
#
#   layer 0 internal    layer 4 summarize
#   layer 1 extract     layer 5 pipeline, serve
#   layer 2 chunk       layer 6 cmd
#   layer 3 infer       layer 7 bench, tests (nothing imports them)
#
# internal/ui (progress bar, text and JSON logs) is part of the CLI: layer 6.
# internal/*test (test helpers such as corpustest) sit in layer 3: they may
# load corpora through extract and tokenizers, never anything above infer.
# So extract, chunk, infer and internal never import summarize, pipeline,
# serve or cmd. Test files may import anything (they are not in .Deps).
# Prints each violation as "pkg (layer N) imports dep (layer M)" and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
mod="$(go list -m)"

go list -f '{{.ImportPath}} {{join .Deps " "}}' ./... | awk -v mod="$mod/" '
function layer(p,   top) {
	if (index(p, mod) != 1) return 0 # standard library or another module
	p = substr(p, length(mod) + 1)
	split(p, parts, "/")
	top = parts[1]
	if (top == "extract") return 1
	if (top == "chunk") return 2
	if (p == "internal/ui") return 6 # the CLI display: implements pipeline.Observer for cmd
	if (top == "internal") return p ~ /test$/ ? 3 : 0 # test helpers may load corpora
	if (top == "infer") return 3
	if (top == "summarize") return 4
	if (top == "pipeline" || top == "serve") return 5
	if (top == "cmd") return 6
	if (top == "bench" || top == "tests") return 7
	return -1
}
{
	pl = layer($1)
	if (pl < 0) { printf "check-layers: %s is in no layer; add its folder to scripts/check-layers.sh\n", $1; bad = 1; next }
	for (i = 2; i <= NF; i++) {
		dl = layer($i)
		if (dl < 0) { printf "check-layers: %s is in no layer; add its folder to scripts/check-layers.sh\n", $i; bad = 1; continue }
		if (dl > pl) { printf "check-layers: %s (layer %d) depends on %s (layer %d)\n", $1, pl, $i, dl; bad = 1 }
	}
}
END { exit bad }
'
