#!/usr/bin/env bash
# `make stress-test`: run make test's pytest command RUNS times in a row while something
# else keeps both cores busy, then print how many runs passed. A suite that only passes on
# an idle machine is a flaky suite (issue 16). Not part of `make test` or CI.
#
#   tools/stress-test.sh RUNS PYTEST_COMMAND...
#
# The load is `stress-ng --cpu 2` when installed (Debian: apt-get install stress-ng), else
# two busy Python loops. Each run's output is kept in .cache/stress-test/run-N.log.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RUNS="$1"
shift
LOGS="$REPO/.cache/stress-test"
mkdir -p "$LOGS"
rm -f "$LOGS"/run-*.log

LOADERS=()
if command -v stress-ng >/dev/null; then
  LOAD="stress-ng --cpu 2"
  stress-ng --cpu 2 --quiet &
  LOADERS+=("$!")
else
  LOAD="2 busy Python loops"
  for _ in 1 2; do
    "$REPO/.venv/bin/python" -c "while True: pass" &
    LOADERS+=("$!")
  done
fi
trap 'kill "${LOADERS[@]}" 2>/dev/null; wait "${LOADERS[@]}" 2>/dev/null' EXIT

passed=0
for run in $(seq 1 "$RUNS"); do
  log="$LOGS/run-$run.log"
  started=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    verdict=passed
  else
    verdict=FAILED
  fi
  echo "run $run/$RUNS $verdict in $((SECONDS - started)) s: $(tail -n 1 "$log")"
  [ "$verdict" = passed ] || grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^/    /'
done
echo "stress-test: $passed/$RUNS runs passed under $LOAD (logs: .cache/stress-test/)"
[ "$passed" -eq "$RUNS" ]
