#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds
# hoso, makes sample Vietnamese dossier scans, ingests them (OCR, folder
# store, search index) and runs a search over them.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
install_runtime_deps

echo "==> building bin/hoso"
go build -o bin/hoso ./cmd/hoso

export HOSO_DATA="${HOSO_DATA:-$PWD/hoso-data}"
samples="$HOSO_DATA/samples"
if [ ! -d "$samples" ]; then
  echo "==> making sample dossier scans in $samples"
  bin/hoso samples "$samples"
fi

echo "==> ingesting $samples (store: $HOSO_DATA/objects)"
bin/hoso ingest "$samples"

echo "==> checking every stored object"
bin/hoso verify

echo "==> searching: nguyen van thanh   (typed without diacritics)"
bin/hoso search --clearance top-secret "nguyen van thanh"
echo
echo "Try: bin/hoso search --clearance secret 'name:giang born:1970..1979'"
echo "     bin/hoso show HS-2024-000123"
