#!/usr/bin/env bash
# Make an OpenTofu CLI available offline: build it from the Go module proxy in a
# throwaway module under the git-ignored cache, once.  Nothing of OpenTofu's code
# enters the repository; the Go module and build caches are the only other places
# it is written.  (hashicorp/terraform is not built: its licence is not open source.)
#
# Usage:
#   tools/opentofu/tofu.sh            # stdout: only the path of the tofu binary
#   eval "$(tools/opentofu/tofu.sh --exports)"   # stdout: `export TOFU=...`
#
# Progress and errors go to stderr, at least every 30 s while building.
# Environment knobs:
#   OPENTOFU_CACHE   cache root (default: <repo>/.cache/opentofu); the binary is
#                    $OPENTOFU_CACHE/<version>/tofu
#   OPENTOFU_VERSION version to build (default below; v1.11.6 or later: v1.11.3
#                    breaks `apply -refresh-only` with ephemeral blocks)
set -euo pipefail

OPENTOFU_VERSION="${OPENTOFU_VERSION:-v1.11.6}"
MODULE="github.com/opentofu/opentofu"
PACKAGE="$MODULE/cmd/tofu"
HEARTBEAT=30   # seconds between progress lines

log() { printf 'opentofu: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

MODE=path
case "${1:-}" in
    "") ;;
    --exports) MODE=exports ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
CACHE_ROOT="${OPENTOFU_CACHE:-$REPO_ROOT/.cache/opentofu}"
case "$CACHE_ROOT" in /*) ;; *) CACHE_ROOT="$PWD/$CACHE_ROOT" ;; esac
BIN="$CACHE_ROOT/$OPENTOFU_VERSION/tofu"
BUILD_DIR="$CACHE_ROOT/build/$OPENTOFU_VERSION"
BUILD_LOG="$BUILD_DIR/build.log"

emit() {
    case "$MODE" in
        path) printf '%s\n' "$BIN" ;;
        exports) printf 'export TOFU=%q\n' "$BIN" ;;
    esac
}

# `tofu version` first line, e.g. "OpenTofu v1.11.6"; empty on failure.
binary_version() {
    TF_CLI_CONFIG_FILE=/dev/null timeout 60 "$1" version 2>/dev/null | head -n1 || true
}

# heartbeat PID WHAT COMMAND...: while PID runs, log WHAT and COMMAND's output
# (a progress figure) every HEARTBEAT seconds.
heartbeat() {
    local pid="$1" what="$2" start=$SECONDS
    shift 2
    while kill -0 "$pid" 2>/dev/null; do
        local waited=0
        while [ $waited -lt $HEARTBEAT ] && kill -0 "$pid" 2>/dev/null; do
            sleep 1
            waited=$((waited + 1))
        done
        kill -0 "$pid" 2>/dev/null || break
        log "$what: $("$@") ($((SECONDS - start)) s)"
    done
}

# run_watched WHAT PROGRESS-FN COMMAND...: COMMAND with its output in the log
# and a progress line every HEARTBEAT seconds.
run_watched() {
    local what="$1" progress="$2" pid rc=0
    shift 2
    printf '+ %s\n' "$*" >>"$BUILD_LOG"
    "$@" >>"$BUILD_LOG" 2>&1 &
    pid=$!
    heartbeat "$pid" "$what" "$progress" &
    local beat=$!
    wait "$pid" || rc=$?
    kill "$beat" 2>/dev/null || true
    wait "$beat" 2>/dev/null || true
    return $rc
}

downloaded() { printf '%s modules in the module cache' "$(find "$(go env GOMODCACHE)/cache/download" -name '*.zip' 2>/dev/null | wc -l)"; }

TOTAL_PACKAGES=0
compiled() {
    # `go build -v` names each package it compiles; cached ones are not named.
    local n
    n="$(grep -c -v -e '^+ ' -e '^go: ' "$BUILD_DIR/compile.log" 2>/dev/null || true)"
    printf '%s of %s packages compiled (the rest come from the build cache)' "${n:-0}" "$TOTAL_PACKAGES"
}

# The non-path `replace` lines of upstream's go.mod ($1), as `old=new@version`.
upstream_replaces() {
    awk '
        { sub(/\/\/.*/, "") }
        /^replace[ \t]*\(/ { block = 1; next }
        block && /^[ \t]*\)/ { block = 0; next }
        block || /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); if ($0 ~ /=>/) print }
    ' "$1" | while read -r old oldver arrow new newver; do
        if [ "$oldver" = "=>" ]; then newver="$new"; new="$arrow"; oldver=""; fi
        [ -n "${newver:-}" ] || continue   # a path replacement only works upstream
        printf '%s%s=%s@%s\n' "$old" "${oldver:+@$oldver}" "$new" "$newver"
    done
}

build() {
    command -v go >/dev/null || die "go not found on PATH: needed to build OpenTofu $OPENTOFU_VERSION"
    local start=$SECONDS gomod replace
    rm -rf "$BUILD_DIR"
    mkdir -p "$BUILD_DIR" "$(dirname "$BIN")"
    cd "$BUILD_DIR"
    export GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
    log "building OpenTofu $OPENTOFU_VERSION from the Go module proxy (log: $BUILD_LOG)"
    go mod init local.invalid/opentofu-build >>"$BUILD_LOG" 2>&1
    gomod="$(go mod download -json "$MODULE@$OPENTOFU_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [ -n "$gomod" ] || die "the Go module proxy does not serve $MODULE@$OPENTOFU_VERSION"
    while read -r replace; do
        log "  upstream replace: ${replace/=/ => }"
        go mod edit -replace="$replace"
    done < <(upstream_replaces "$gomod")
    go mod edit -require="$MODULE@$OPENTOFU_VERSION"
    log "step 1/3: resolving and downloading OpenTofu's dependencies"
    run_watched "step 1/3: downloading" downloaded go get -tool "$PACKAGE@$OPENTOFU_VERSION" ||
        die "go get failed; see $BUILD_LOG"
    run_watched "step 1/3: downloading" downloaded go mod tidy || die "go mod tidy failed; see $BUILD_LOG"
    TOTAL_PACKAGES="$(go list -deps "$PACKAGE" 2>>"$BUILD_LOG" | wc -l)"
    log "step 2/3: compiling $PACKAGE: $TOTAL_PACKAGES packages (about 12 min cold, 1 min warm)"
    # shellcheck disable=SC2016  # the inner sh expands its own arguments
    run_watched "step 2/3: compiling OpenTofu $OPENTOFU_VERSION" compiled \
        sh -c 'go build -v -trimpath -ldflags "$1" -o "$2" "$3" 2>"$4"' build \
        "-s -w -X $MODULE/version.dev=no" "$BIN.tmp" "$PACKAGE" "$BUILD_DIR/compile.log" ||
        { tail -n 15 "$BUILD_DIR/compile.log" >&2; die "go build failed; see $BUILD_DIR/compile.log"; }
    mv -f "$BIN.tmp" "$BIN"
    log "step 3/3: built $(binary_version "$BIN") in $((SECONDS - start)) s: $BIN"
}

if [ -x "$BIN" ] && [ "$(binary_version "$BIN")" = "OpenTofu $OPENTOFU_VERSION" ]; then
    emit
    exit 0
fi
( build ) || exit 1
[ "$(binary_version "$BIN")" = "OpenTofu $OPENTOFU_VERSION" ] ||
    die "the built binary does not report OpenTofu $OPENTOFU_VERSION"
emit
