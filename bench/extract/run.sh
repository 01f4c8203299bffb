#!/usr/bin/env bash
# Measures llsum's PDF extraction on the shared corpus against pdftotext's
# references: word-F1, bigram-F1, CJK survival per file and per kind, pages
# marked garbled, and pages/s and pages per CPU-second in-process with 2
# workers beside two peers in the same run, pdftotext and MuPDF's mutool;
# the CJK survival of the generated mojibake fixtures (extract/cjkfixture);
# then CPU time and peak RSS of extracting the 2,415-page manual, llsum and
# the peers one after the other.
#
#   bench/extract/run.sh [--engine auto|pdfium|ledongthuc] [--only a.pdf,b.pdf] [--numbers]
#
# --numbers also prints each file's bigram-F1 without the bigrams that hold
# a number (pdftotext puts listings' line numbers in blocks of their own).
#
# The peers and the fixtures' font come from scripts/setup.d/30-pdf-tools.sh
# (make deps): poppler-utils, mupdf-tools, fonts-droid-fallback.
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
	fmt="%M KiB peak RSS, %U+%S CPU-s, %e s"
	for engine in auto pdfium ledongthuc; do
		/usr/bin/time -f "R-fullrefman.pdf (2,415 pages) llsum extract --pdf-engine $engine: $fmt" \
			"$bin/llsum" extract --pdf-engine "$engine" --doc-timeout 10m "$huge" >/dev/null
	done
	if command -v mutool >/dev/null; then
		/usr/bin/time -f "R-fullrefman.pdf mutool draw -F txt: $fmt" mutool draw -q -F txt -o /dev/null "$huge"
	fi
	if command -v pdftotext >/dev/null; then
		/usr/bin/time -f "R-fullrefman.pdf pdftotext: $fmt" pdftotext -q "$huge" /dev/null
	fi
fi
