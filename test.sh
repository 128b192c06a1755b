#!/usr/bin/env bash
# Runs hoso's whole test suite, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
install_test_deps
export OMP_THREAD_LIMIT=1 # one thread per Tesseract; the pool runs one per core

echo "==> go vet and gofmt"
go vet ./...
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$unformatted" ]; then echo "not gofmt'ed: $unformatted" >&2; exit 1; fi

echo "==> go test -race"
go test -race -count=1 -timeout 45m ./...

echo "==> short fuzz runs"
fuzztime="${FUZZTIME:-8s}"
for pkg in $(go list ./...); do
  dir="$(go list -f '{{.Dir}}' "$pkg")"
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "--- $pkg $f"
    go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$fuzztime" -fuzzminimizetime 3s >/tmp/hoso-fuzz.log 2>&1 || { cat /tmp/hoso-fuzz.log; exit 1; }
  done
done
echo "all tests passed"
