#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds
# hoso, makes sample Vietnamese dossier scans, ingests them (OCR, folder
# store, search index), runs a search over them, and serves the web page.
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

accounts="$HOSO_DATA/demo-accounts.txt"
if [ ! -s "$accounts" ]; then
  echo "==> creating demo accounts (passwords in $accounts)"
  (umask 077; : > "$accounts")
  for spec in "admin admin top-secret" "archivist archivist secret" "reader reader confidential"; do
    set -- $spec
    pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    printf '%s\n' "$pw" | bin/hoso user add "$1" --role "$2" --clearance "$3" --password-stdin
    echo "$1 / $pw   (role $2, clearance $3)" >> "$accounts"
  done
fi

addr="${HOSO_ADDR:-127.0.0.1:8080}"
echo
echo "==> serving the archive at http://$addr/  (Ctrl-C stops)"
echo "Sign in with a demo account (name / password):"
sed 's/^/    /' "$accounts"
echo "The reader (clearance confidential) does not see the secret dossier HS-2019-000045."
echo "Command line meanwhile: bin/hoso search --clearance secret 'name:giang born:1970..1979'"
exec bin/hoso serve --addr "$addr"
