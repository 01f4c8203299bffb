#!/usr/bin/env bash
# Regenerates the PDFs in testdata/docs from the HTML sources in
# scripts/testdata with LibreOffice (apt-get install libreoffice-writer-nogui
# fonts-wqy-microhei). The committed PDFs are the output of this script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$root/scripts/testdata"
soffice --headless --infilter="HTML (StarWriter)" --convert-to pdf --outdir "$tmp" solar-energy.html llama-zh.html >/dev/null
cp "$tmp/solar-energy.pdf" "$root/testdata/docs/solar-energy.pdf"
cp "$tmp/llama-zh.pdf" "$root/testdata/docs/zh/llama-zh.pdf"
