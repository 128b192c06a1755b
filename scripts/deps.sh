# shellcheck shell=bash
# Installs what hoso needs on Debian, only what is missing. Sourced by
# run.sh and test.sh; safe to run again.

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_updated=
# need_apt PKG...: install the Debian packages that are not installed yet.
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_go() {
  if ! command -v go >/dev/null; then
    for d in /usr/local/go/bin /usr/lib/go/bin; do [ -x "$d/go" ] && export PATH="$d:$PATH"; done
  fi
  if ! command -v go >/dev/null; then
    echo "Go 1.26 or newer is needed: https://go.dev/doc/install" >&2; return 1
  fi
}

# Runtime: OCR (Tesseract with Vietnamese, English and orientation data, the
# C headers gosseract builds against), PDF tools, fonts for sample pages.
install_runtime_deps() {
  need_go
  need_apt ca-certificates git gcc g++ pkg-config \
    tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd \
    libtesseract-dev libleptonica-dev poppler-utils fonts-dejavu-core fonts-noto-core
}

# minio_bin prints the path of an installed MinIO server, if any.
minio_bin() {
  local gobin
  gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  for c in "$(command -v minio 2>/dev/null)" "$gobin/minio" "$HOME/go/bin/minio"; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

# Tests also need a real MinIO server (built from source, ~5 minutes the
# first time) and Chromium for the web page tests.
install_test_deps() {
  install_runtime_deps
  need_apt chromium
  if ! minio_bin >/dev/null; then
    echo "==> building the MinIO server $MINIO_VERSION (about 5 minutes, once)"
    GOFLAGS= go install "github.com/minio/minio@$MINIO_VERSION"
  fi
  local m; m="$(minio_bin)"
  export PATH="$(dirname "$m"):$PATH"
}
