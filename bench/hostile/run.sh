#!/usr/bin/env bash
# Hostile-PDF benchmark (issue 13, docs/extraction.md "Memory budget"): each
# generated hostile PDF is summarized alone by `llsum run` (extractive
# backend, default --doc-memory) under --pdf-engine auto and pdfium; prints
# peak RSS (/usr/bin/time) and wall time per file. With BASE=path/to/llsum
# (an older build), the same runs with it under an address-space cap
# (ulimit -v, CAP_KB, default 6 GB) so that a runaway one cannot take the
# machine, and the ratio of peak RSS.
#
#   bench/hostile/run.sh [WORKDIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-$(mktemp -d)}
CAP_KB=${CAP_KB:-6000000}
mkdir -p "$WORK/pdf"
(cd "$ROOT" && go build -o "$WORK/llsum" ./cmd/llsum && go run ./bench/hostile "$WORK/pdf")

measure() { # BIN FILE ENGINE -> "rss_kb seconds"
  local bin=$1 file=$2 engine=$3 d
  d=$(mktemp -d -p "$WORK")
  mkdir -p "$d/in" && cp "$file" "$d/in/"
  ( ulimit -v "$CAP_KB"; /usr/bin/time -f "%M %e" -o "$d/time" timeout 150 "$bin" run -q --pdf-engine "$engine" --out "$d/out" "$d/in" >/dev/null 2>&1 ) || true
  cat "$d/time" | tail -1
  rm -rf "$d"
}

printf "%-24s %-7s %12s %8s" file engine "RSS MiB" "s"
[[ -n "${BASE:-}" ]] && printf " %12s %8s %7s" "base RSS" "base s" ratio
echo
for f in "$WORK"/pdf/*.pdf; do
  for engine in auto pdfium; do
    read -r rss sec < <(measure "$WORK/llsum" "$f" "$engine")
    printf "%-24s %-7s %12d %8s" "$(basename "$f")" "$engine" $((rss / 1024)) "$sec"
    if [[ -n "${BASE:-}" ]]; then
      read -r brss bsec < <(measure "$BASE" "$f" "$engine")
      printf " %12d %8s %7.1f" $((brss / 1024)) "$bsec" "$(echo "$brss / $rss" | bc -l)"
    fi
    echo
  done
done
