#!/usr/bin/env bash
# `make dist`: every release artifact of this version into dist/, from the committed tree.
# `tools/dist.sh plugin` builds only the wheel and the plugin archive (one per platform, in the
# release workflow's matrix).
#
#   dist/pulumi_github_app_token-<v>-py3-none-any.whl and .tar.gz   the package (PyPI)
#   dist/pulumi-resource-github-app-token-v<v>-<os>-<arch>.tar.gz   the plugin archive
#   dist/pulumi_github_app_token_sdk-<v>-py3-none-any.whl            the Python SDK (PyPI)
#   dist/pulumi-github-app-token-<v>.tgz                             the TypeScript SDK (npm)
#   dist/goproxy/                                                    the Go SDK module, as a
#                                                                    module proxy serves it
#
# The plugin archive is a pex of the wheel (one executable; it needs a python3 at run time)
# and is specific to this OS and CPU: grpcio and cryptography are binary wheels. It holds
# wheels for this Python only, unless PLUGIN_PYTHONS names more interpreters (the release
# workflow gives 3.10 to 3.13). Each step logs to .cache/dist-build/<step>.log and reports
# every 20 s while it runs (tools/progress.sh); a summary of sizes and times ends it. Work
# files stay in .cache/dist-build (npm and pip then fetch only what is new).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

PY="${PYTHON:-$ROOT/.venv/bin/python}"
DIST="$ROOT/dist"
WORK="$ROOT/.cache/dist-build"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' provider/github_app_token/version.py)"
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
    x86_64|amd64) ARCH=amd64 ;;
    aarch64|arm64) ARCH=arm64 ;;
    *) ARCH="$(uname -m)" ;;
esac
PLUGIN=pulumi-resource-github-app-token

# --- the steps (each runs as `tools/dist.sh --step NAME`, its output to its log) -----------

python_package() {
    "$PY" -m build --outdir "$DIST" .
}

python_sdk() {
    rm -rf "$WORK/python-sdk" && cp -r sdk/python "$WORK/python-sdk"
    "$PY" -m build --wheel --outdir "$DIST" "$WORK/python-sdk"
}

# The wheels our wheels need, for this Python: offline from what earlier runs fetched, from PyPI
# only when something is missing. pex and the tests' fresh virtualenvs install from it.
wheelhouse() {
    local wh="$WORK/wheelhouse"
    mkdir -p "$wh"
    "$PY" -m pip download --no-index --find-links "$wh" --dest "$wh" "$DIST"/*.whl ||
        "$PY" -m pip download --dest "$wh" "$DIST"/*.whl
    rm -f "$wh"/pulumi_github_app_token*  # ours come from dist/, never from here
}

# pex_console_script SCRIPT OUT: SCRIPT of our wheel, with its dependencies, as one executable.
# PLUGIN_PYTHONS (interpreters) makes it hold wheels for each, resolved from PyPI.
pex_console_script() {
    local resolve=(--no-pypi --find-links "$WORK/wheelhouse") py
    if [ -n "${PLUGIN_PYTHONS:-}" ]; then
        resolve=()
        for py in $PLUGIN_PYTHONS; do resolve+=(--python "$py"); done
    fi
    "$PY" -m pex "$DIST/pulumi_github_app_token-$VERSION-py3-none-any.whl" -c "$1" -o "$2" \
        --python-shebang '/usr/bin/env python3' --venv "${resolve[@]}"
}

plugin_archive() {
    local dir="$WORK/plugin"
    rm -rf "$dir" && mkdir -p "$dir"
    pex_console_script "$PLUGIN" "$dir/$PLUGIN"
    cp LICENSE README.md "$dir/"
    tar -czf "$DIST/$PLUGIN-v$VERSION-$OS-$ARCH.tar.gz" -C "$dir" "$PLUGIN" LICENSE README.md
}

# The Terraform face's provider (console script terraform-provider-githubapp) packs here once it
# lands: a function like plugin_archive that calls pex_console_script
# terraform-provider-githubapp and zips it as the Terraform registry names it
# (terraform-provider-githubapp_<version>_<os>_<arch>.zip), and one more `step` below.

# The TypeScript SDK compiled by tsc against @pulumi/pulumi from npm, packed from bin/ as
# Pulumi's own SDKs are. node_modules stays in .cache/dist-build between runs.
npm_package() {
    local dir="$WORK/nodejs"
    mkdir -p "$dir"
    find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
    cp -r sdk/nodejs/. "$dir/"
    cd "$dir"
    export npm_config_cache="$ROOT/.cache/npm" npm_config_update_notifier=false
    npm install --no-audit --no-fund
    npx --no-install tsc
    cp package.json README.md "$ROOT/LICENSE" bin/
    cd bin && npm pack --pack-destination "$DIST"
}

go_module() {
    local sdkgen
    sdkgen="$(tools/sdkgen/build.sh)"
    "$sdkgen" goproxy -dir sdk/go -version "$VERSION" -out "$DIST/goproxy"
}

if [ "${1:-}" = --step ]; then
    "$2"
    exit
fi

# --- the build -----------------------------------------------------------------------------

SUMMARY=()
say() { printf 'dist: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# step LABEL NAME: run step NAME with a progress line every 20 s; note its time.
step() {
    local start=$SECONDS log="$WORK/$2.log"
    say "$1"
    : >"$log"
    PROGRESS_PATTERN='.' tools/progress.sh "dist: $1" "lines logged" "$log" -- \
        "$ROOT/tools/dist.sh" --step "$2" || {
        say "$1 failed; last lines of $log:"
        tail -n 30 "$log" | sed 's/^/    /' >&2
        exit 1
    }
    SUMMARY+=("$(printf '%4d s  %s' $((SECONDS - start)) "$1")")
}

case "${1:-all}" in all|plugin) ;; *) die "usage: tools/dist.sh [all|plugin]" ;; esac
[ -x "$PY" ] || die "no $PY: run make setup"
for generated in sdk/nodejs/package.json sdk/python/pyproject.toml; do
    grep -q "\"$VERSION\"" "$generated" ||
        die "$generated is not at version $VERSION: run make sdk"
done
rm -rf "$DIST"
mkdir -p "$DIST" "$WORK"

step "wheel and sdist" python_package
[ "${1:-all}" = plugin ] || step "Python SDK wheel" python_sdk
[ -n "${PLUGIN_PYTHONS:-}" ] || step "wheelhouse" wheelhouse
step "plugin archive ($OS-$ARCH)" plugin_archive
if [ "${1:-all}" = all ]; then
    step "npm package (tsc)" npm_package
    step "Go module" go_module
fi

say "built $VERSION into dist/:"
(cd "$DIST" && find . -type f \( -name '*.whl' -o -name '*.gz' -o -name '*.tgz' -o -name '*.zip' \) |
    sort | xargs du -h | sed 's|\./||; s/^/    /' >&2)
printf '    %s\n' "${SUMMARY[@]}" >&2
