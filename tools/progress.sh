#!/usr/bin/env bash
# Run a long command quietly, with its output appended to a log, and print a
# progress line to stderr every PROGRESS_INTERVAL seconds (default 20) while it
# runs, so that no wait is ever silent for 30 s:
#
#   LABEL: N[/TOTAL] UNIT, 1m20s so far
#
# N counts the lines the command has added to LOG that match PROGRESS_PATTERN
# (an extended regex; default: every line), e.g. one per package `go build -v`
# compiles, or per `go: downloading` line.  Exits with the command's status.
#
# Usage:
#   tools/progress.sh LABEL UNIT LOG [TOTAL] -- COMMAND [ARG...]
#
# Used by tools/pulumi-offline/pulumi-cli.sh for its Go builds; any build
# script may use it (tests/test_progress.py runs it on a slow fake command).
set -uo pipefail

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

[ $# -ge 5 ] || usage
label="$1" unit="$2" log="$3"
shift 3
total=""
if [ "$1" != "--" ]; then total="$1"; shift; fi
[ "${1:-}" = "--" ] || usage
shift
interval="${PROGRESS_INTERVAL:-20}"
pattern="${PROGRESS_PATTERN:-.}"

elapsed() { # 75 -> 1m15s
    local s=$((SECONDS - start))
    if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

printf '+ %s\n' "$*" >>"$log"
first_line=$(($(wc -l <"$log") + 1))   # count only what the command adds
start=$SECONDS
"$@" >>"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM
next=$((start + interval))
while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
        count=$(tail -n "+$first_line" "$log" | grep -cE -- "$pattern")
        printf '%s: %s%s %s, %s so far\n' "$label" "$count" "${total:+/$total}" "$unit" \
            "$(elapsed)" >&2
        next=$((SECONDS + interval))
    fi
done
wait "$pid"
