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
# Progress and errors go to stderr: a line at least every 20 s while building
# (tools/progress.sh), saying what is built and how far along it is.
# Environment knobs:
#   OPENTOFU_CACHE   cache root (default: <repo>/.cache/opentofu); the binary is
#                    $OPENTOFU_CACHE/<version>/tofu
#   OPENTOFU_VERSION version to build (default below; v1.11.6 or later: v1.11.3
#                    breaks `apply -refresh-only` with ephemeral blocks)
set -euo pipefail

OPENTOFU_VERSION="${OPENTOFU_VERSION:-v1.11.6}"
MODULE="github.com/opentofu/opentofu"
PACKAGE="$MODULE/cmd/tofu"
PROGRESS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/progress.sh"

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
    PROGRESS_PATTERN='^go: downloading' "$PROGRESS" "opentofu: step 1/3: downloading" \
        "modules downloaded" "$BUILD_LOG" -- go get -tool "$PACKAGE@$OPENTOFU_VERSION" ||
        die "go get failed; see $BUILD_LOG"
    PROGRESS_PATTERN='^go: downloading' "$PROGRESS" "opentofu: step 1/3: downloading" \
        "modules downloaded" "$BUILD_LOG" -- go mod tidy || die "go mod tidy failed; see $BUILD_LOG"
    local flags=(-trimpath -ldflags "-s -w -X $MODULE/version.dev=no")
    # The packages the build cache lacks; `go build -v` names each as it compiles it.
    local total
    total="$(go list "${flags[@]}" -deps -f '{{if .Stale}}{{.StaleReason}}{{end}}' "$PACKAGE" |
        grep -vc '^not installed but available in build cache$' || true)"
    log "step 2/3: compiling $PACKAGE: $total packages to compile (about 12 min cold, 1 min warm)"
    "$PROGRESS" "opentofu: step 2/3: compiling OpenTofu $OPENTOFU_VERSION" \
        "packages compiled (then one link)" "$BUILD_LOG" "$total" -- \
        go build -v "${flags[@]}" -o "$BIN.tmp" "$PACKAGE" ||
        { tail -n 15 "$BUILD_LOG" >&2; die "go build failed; see $BUILD_LOG"; }
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
