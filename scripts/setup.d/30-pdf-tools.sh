#!/usr/bin/env bash
# Test and bench set-up for PDF extraction (idempotent, quick when done):
#   fonts-droid-fallback: the CJK TrueType that extract/cjkfixture embeds to
#     generate the CID-font mojibake fixtures of issue 14 (tests need it);
#   mupdf-tools, poppler-utils: mutool and pdftotext, the peers that
#     bench/extract/run.sh measures llsum against in the same run.
# Debian packages, installed with apt-get (root, as on CI).
set -euo pipefail
need=()
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
command -v mutool >/dev/null 2>&1 || need+=(mupdf-tools)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
	echo "pdf-tools: fonts-droid-fallback, mutool and pdftotext are installed" >&2
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "pdf-tools: install ${need[*]} (Debian packages) with your package manager" >&2
	exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; then
	"${sudo[@]}" apt-get update -q >/dev/null
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
echo "pdf-tools: installed ${need[*]}" >&2
