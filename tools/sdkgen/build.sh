#!/usr/bin/env bash
# Build sdkgen (this directory: Pulumi's SDK generators behind a small command) into
# .cache/sdkgen/sdkgen and print that path. The first build compiles pulumi/pkg/v3 (about a
# minute warm, several with a cold Go cache); later ones take a second.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
PROGRESS_NAME=sdkgen
# shellcheck source=../progress.sh
source "$ROOT/tools/progress.sh"

out="$ROOT/.cache/sdkgen/sdkgen"
log="$ROOT/.cache/sdkgen/build.log"
mkdir -p "$(dirname "$out")"
cd "$HERE"
export GOWORK=off GOFLAGS=-mod=readonly

# (go list fetches the modules on a cold cache)
total="$(run_with_progress "resolving modules" go list -deps . | wc -l)"
# `go build -v` names each package it compiles: the count says how far along it is.
PROGRESS_OF="echo \"\$(grep -c . '$log') of $total packages compiled\"" \
    run_with_progress "building" go build -v -trimpath -o "$out" . >"$log" 2>&1 || {
    progress_log "build failed; last lines of $log:"; tail -n 20 "$log" >&2; exit 1; }
printf '%s\n' "$out"
