#!/usr/bin/env bash
# actionlint (github.com/rhysd/actionlint, MIT), the GitHub Actions workflow
# checker, built from the Go module proxy into the git-ignored .cache/ on
# first use, then run with the given arguments:
#
#   tools/actionlint.sh examples/github-actions/*.yml .github/workflows/*.yml
#   tools/actionlint.sh --print-path      # build if needed, print the binary's path
#
# Shared by the docs' workflow examples (tests/test_docs.py) and any release
# workflow.  ACTIONLINT_VERSION picks another release; the build prints
# progress (tools/progress.sh) and its log is .cache/actionlint/build.log.
set -euo pipefail

ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CACHE="$REPO_ROOT/.cache/actionlint"
BIN="$CACHE/$ACTIONLINT_VERSION/actionlint"

if [ ! -x "$BIN" ]; then
    command -v go >/dev/null 2>&1 || { echo "actionlint.sh: no 'go' to build actionlint" >&2; exit 1; }
    mkdir -p "$CACHE"
    echo "actionlint.sh: building actionlint $ACTIONLINT_VERSION (log: $CACHE/build.log)" >&2
    # A module without replace directives: `go install pkg@version` builds it as released.
    # `go install -v` names each package it compiles, one per line (downloads have spaces).
    if ! GOBIN="$CACHE/$ACTIONLINT_VERSION" GOWORK=off GOFLAGS=-trimpath PROGRESS_PATTERN='^[^ ]+$' \
        "$REPO_ROOT/tools/progress.sh" "actionlint.sh: building actionlint" "packages compiled" \
        "$CACHE/build.log" -- go install -v "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"; then
        echo "actionlint.sh: the build failed; last lines of $CACHE/build.log:" >&2
        tail -n 15 "$CACHE/build.log" | sed 's/^/    /' >&2
        exit 1
    fi
fi

if [ "${1:-}" = "--print-path" ]; then
    printf '%s\n' "$BIN"
    exit 0
fi
exec "$BIN" "$@"
