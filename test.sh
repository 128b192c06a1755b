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
# fuzz_one runs one target. Go 1.26's fuzz coordinator can end a run at the
# -fuzztime deadline with a bare "context deadline exceeded" when a worker is
# mid-call (golang/go#75804, fixed in Go 1.27), more often on a loaded machine.
# Such a run found nothing (a finding always writes "Failing input written
# to testdata/fuzz/..."), so it returns 1 to be run again once; any other
# failure prints the log and returns 2.
fuzz_one() {
  if go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" -fuzzminimizetime 3s >/tmp/hoso-fuzz.log 2>&1; then
    return 0
  fi
  if grep -q 'context deadline exceeded' /tmp/hoso-fuzz.log && ! grep -q -e 'Failing input written' -e 'panic:' -e '_test.go:[0-9]' /tmp/hoso-fuzz.log; then
    return 1
  fi
  cat /tmp/hoso-fuzz.log
  return 2
}
for pkg in $(go list ./...); do
  dir="$(go list -f '{{.Dir}}' "$pkg")"
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "--- $pkg $f"
    rc=0; fuzz_one "$pkg" "$f" || rc=$?
    if [ "$rc" = 1 ]; then
      echo "    the run ended in Go's fuzz deadline race (no input failed): running $f again"
      rc=0; fuzz_one "$pkg" "$f" || rc=$?
      [ "$rc" = 1 ] && cat /tmp/hoso-fuzz.log
    fi
    [ "$rc" = 0 ] || exit 1
  done
done
echo "all tests passed"
