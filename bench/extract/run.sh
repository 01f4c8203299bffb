#!/usr/bin/env bash
# Measures llsum's PDF extraction on the shared corpus against pdftotext's
# references: word-F1, bigram-F1, CJK survival per file and per kind, and
# pages/s in-process with 2 workers beside pdftotext (when installed) in the
# same run; then the peak RSS of extracting the 2,415-page manual.
#
#   bench/extract/run.sh [--engine auto|pdfium|ledongthuc] [--only a.pdf,b.pdf]
#
# Install pdftotext for the side-by-side figures: apt-get install poppler-utils
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="${LLSUM_CORPUS:-$root/../shared/corpus}"
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
cd "$root"
go build -o "$bin/extract-bench" ./bench/extract
go build -o "$bin/llsum" ./cmd/llsum
"$bin/extract-bench" -corpus "$corpus" -j 2 "$@"

huge="$corpus/pdf/R-fullrefman.pdf"
if [ -f "$huge" ] && [ -x /usr/bin/time ]; then
	echo
	for engine in auto pdfium ledongthuc; do
		/usr/bin/time -f "peak RSS llsum extract --pdf-engine $engine R-fullrefman.pdf (2,415 pages): %M KiB, %e s" \
			"$bin/llsum" extract --pdf-engine "$engine" --doc-timeout 10m "$huge" >/dev/null
	done
	if command -v pdftotext >/dev/null; then
		/usr/bin/time -f "peak RSS pdftotext R-fullrefman.pdf: %M KiB, %e s" pdftotext -q "$huge" /dev/null
	fi
fi
