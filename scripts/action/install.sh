#!/usr/bin/env bash
# Step "Install llsum" of action.yml: puts an llsum binary on the job's PATH
# and in LLSUM_BIN (GITHUB_ENV). Either the binary given (LLSUM_GIVEN), or
# the release archive for this runner, verified against the release's
# checksums.txt. LLSUM_RELEASE_BASE overrides the download base (tests).
set -euo pipefail
: "${RUNNER_TEMP:?not running in a GitHub runner (RUNNER_TEMP unset)}"
: "${GITHUB_ENV:?GITHUB_ENV unset}" "${GITHUB_PATH:?GITHUB_PATH unset}"

if [ -n "${LLSUM_GIVEN:-}" ]; then
	bin="$(cd "$(dirname "$LLSUM_GIVEN")" && pwd)/$(basename "$LLSUM_GIVEN")"
	[ -x "$bin" ] || { echo "::error::llsum input $LLSUM_GIVEN is not an executable"; exit 1; }
else
	case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
	Linux/X64 | Linux/x86_64) plat=linux_amd64 ;;
	Linux/ARM64 | Linux/aarch64) plat=linux_arm64 ;;
	macOS/ARM64 | Darwin/arm64) plat=darwin_arm64 ;;
	*) echo "::error::no llsum release for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"; exit 1 ;;
	esac
	version="${LLSUM_VERSION:-latest}"
	base="${LLSUM_RELEASE_BASE:-https://github.com/llsum/llsum/releases}"
	if [ "$version" = latest ]; then
		base="$base/latest/download"
	else
		base="$base/download/$version"
	fi
	dir="$RUNNER_TEMP/llsum-bin"
	mkdir -p "$dir"
	archive="llsum_$plat.tar.gz"
	curl -fsSL --retry 3 -o "$dir/$archive" "$base/$archive"
	curl -fsSL --retry 3 -o "$dir/checksums.txt" "$base/checksums.txt"
	(cd "$dir" && grep " $archive\$" checksums.txt | sha256sum -c --quiet -) ||
		{ echo "::error::$archive does not match the release's checksums.txt"; exit 1; }
	tar -xzf "$dir/$archive" -C "$dir" llsum
	bin="$dir/llsum"
fi
"$bin" version
echo "LLSUM_BIN=$bin" >>"$GITHUB_ENV"
dirname "$bin" >>"$GITHUB_PATH"
