#!/usr/bin/env bash
# Build sdkgen (this directory: Pulumi's SDK generators behind a small command) into
# .cache/sdkgen/sdkgen and print that path. The first build compiles pulumi/pkg/v3 (a minute
# or more with a cold Go cache; tools/progress.sh reports every 20 s); later ones take seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
CACHE="$ROOT/.cache/sdkgen"
LOG="$CACHE/build.log"

fail() {
    echo "sdkgen: $1 failed; last lines of $LOG:" >&2
    tail -n 20 "$LOG" | sed 's/^/    /' >&2
    exit 1
}

mkdir -p "$CACHE"
: >"$LOG"
cd "$HERE"
export GOWORK=off GOFLAGS=-mod=readonly
# What needs compiling (go list downloads the modules first on a cold cache).
PROGRESS_PATTERN='^go: downloading' "$ROOT/tools/progress.sh" "sdkgen: downloading" \
    "modules" "$LOG" -- go list -deps -f '{{if .Stale}}STALE {{.ImportPath}}{{end}}' . ||
    fail "go list"
stale="$(grep -c '^STALE ' "$LOG" || true)"
# `go build -v` names each package it compiles, one per line.
PROGRESS_PATTERN='^[^ +]+$' "$ROOT/tools/progress.sh" "sdkgen: building" "packages compiled" \
    "$LOG" "$stale" -- go build -v -trimpath -o "$CACHE/sdkgen" . || fail "go build"
printf '%s\n' "$CACHE/sdkgen"
