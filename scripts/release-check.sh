#!/usr/bin/env bash
# release-check.sh — check the GoReleaser configuration and build a
# snapshot release into dist/ (what a v* tag would publish, unpublished):
# `goreleaser check`, then `goreleaser release --snapshot --clean`, then the
# snapshot binary's `llsum version`. Installs GoReleaser v2.15.1 and
# cyclonedx-gomod v1.10.0 (the SBOM generator) into bin/tools/NAME-VERSION/,
# like the Makefile's lint tools, with `go install` the first time (slow:
# GoReleaser is a large build).
#
# linux/arm64 is built when CC_LINUX_ARM64 is set (e.g. aarch64-linux-gnu-gcc
# from Debian's gcc-aarch64-linux-gnu), darwin/arm64 when CC_DARWIN_ARM64 is
# (see .goreleaser.yaml); linux/amd64 always.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gr="$root/bin/tools/goreleaser-v2.15.1"
cdx="$root/bin/tools/cyclonedx-gomod-v1.10.0"
if ! [ -x "$gr/goreleaser" ]; then
	echo "release-check: installing goreleaser v2.15.1 (go install; takes minutes)" >&2
	GOBIN="$gr" go install github.com/goreleaser/goreleaser/v2@v2.15.1
fi
if ! [ -x "$cdx/cyclonedx-gomod" ]; then
	echo "release-check: installing cyclonedx-gomod v1.10.0" >&2
	GOBIN="$cdx" go install github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod@v1.10.0
fi
export PATH="$gr:$cdx:$PATH"
cd "$root"
goreleaser check
goreleaser release --snapshot --clean
plat="$(go env GOOS)_$(go env GOARCH)"
for f in dist/checksums.txt "dist/llsum_$plat.tar.gz"; do
	[ -s "$f" ] || { echo "release-check: $f missing" >&2; exit 1; }
done
ls dist/*.cdx.json >/dev/null 2>&1 || { echo "release-check: no SBOM in dist/" >&2; exit 1; }
(cd dist && sha256sum -c --quiet checksums.txt)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "dist/llsum_$plat.tar.gz" -C "$tmp" llsum
"$tmp/llsum" version
