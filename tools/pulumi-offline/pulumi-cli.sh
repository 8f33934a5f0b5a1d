#!/usr/bin/env bash
# Make a working Pulumi CLI available without reaching any Pulumi or GitHub
# download site: use a recent enough `pulumi` from PATH, or build the CLI and
# the Python language host from the Go module proxy into a git-ignored cache.
# When the upstream Python language host is unavailable, a minimal Python one
# (pulumi_language_python.py, next to this script) is installed in its place.
# The YAML language host (pulumi-language-yaml) is built too, in its own Go
# module, unless one is found on PATH.
#
# Usage:
#   eval "$(tools/pulumi-offline/pulumi-cli.sh)"    # stdout: only `export NAME=value` lines
#   tools/pulumi-offline/pulumi-cli.sh --print-bin  # stdout: only the bin dir
#
# Progress and errors go to stderr; a warm run prints nothing there.  A build
# prints a progress line at least every 20 s (tools/progress.sh).  Knobs:
#   PULUMI_CLI_CACHE   cache root (default: <repo>/.cache/pulumi-cli); binaries
#                      land in $PULUMI_CLI_CACHE/<version>/bin
#   PULUMI_PYTHON      python used by the dynamic-provider launcher and to run
#                      the fallback language host (default: <repo>/.venv/bin/python;
#                      programs themselves run with their Pulumi.yaml virtualenv)
#   PULUMI_CLI_FORCE_BUILD=1  ignore a pulumi found on PATH, use/build the cache
#   PULUMI_LANGUAGE_PYTHON_VERSION  pseudo-version of upstream's Python language
#                      host module to build instead of our fallback (see below;
#                      default empty: the fallback, tools/pulumi-offline/pulumi_language_python.py)
#   PULUMI_CLI_RETRY=1 retry a language host version that failed before
#   PULUMI_LANGUAGE_YAML_VERSION  pulumi-yaml version whose pulumi-language-yaml
#                      is built (default below; empty: skip it)
set -euo pipefail

PULUMI_MIN_VERSION="v3.274.1"     # a pulumi on PATH at least this new is used as is
PULUMI_BUILD_VERSION="v3.274.1"   # the version built from Go modules otherwise
# pulumi-language-python has no tags of its own: it is required at the
# pseudo-version of the commit that the pulumi/pulumi tag v3.274.1 points at.
# Form: v3.0.0-20261105124506-<first 12 hex of that commit>; empty: not known
# offline, so our fallback host serves.  Overridable from the env.
PULUMI_LANGUAGE_PYTHON_VERSION="${PULUMI_LANGUAGE_PYTHON_VERSION-}"
# pulumi-language-yaml pins its own pulumi (v3.206.0 for v1.25.0) and does not
# compile against the CLI's, so it is built in a module of its own.
PULUMI_LANGUAGE_YAML_VERSION="${PULUMI_LANGUAGE_YAML_VERSION-v1.25.0}"

PKG_MODULE="github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
CLI_PACKAGE="$PKG_MODULE/cmd/pulumi"
LANGHOST_MODULE="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
VERSION_SYMBOL="$SDK_MODULE/go/common/version.Version"
YAML_MODULE="github.com/pulumi/pulumi-yaml"
YAML_PACKAGE="$YAML_MODULE/cmd/pulumi-language-yaml"
YAML_VERSION_SYMBOL="$YAML_MODULE/pkg/version.Version"
# The CLI's own go.mod carries this replace; pulumi-yaml's does not, yet needs it.
CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

MODE=exports
case "${1:-}" in
    "") ;;
    --print-bin) MODE=print-bin ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument (see the usage above)" ;;
esac

TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$TOOLS_DIR/../.." && pwd -P)"
PROGRESS="$REPO_ROOT/tools/progress.sh"

abspath() { # absolute form of a (possibly not yet existing) path
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$PWD" "$1" ;;
    esac
}

CACHE_ROOT="$(abspath "${PULUMI_CLI_CACHE:-$REPO_ROOT/.cache/pulumi-cli}")"
BIN_DIR="$CACHE_ROOT/$PULUMI_BUILD_VERSION/bin"
BUILD_ROOT="$CACHE_ROOT/build"
PULUMI_HOME_DIR="$REPO_ROOT/.cache/pulumi-home"
STATE_DIR="$REPO_ROOT/.cache/pulumi-state"

# Print PATH ($2, default $PATH) without any entry equal to $1.
path_without() {
    local drop="$1" rest="${2-$PATH}" out="" entry
    local IFS=:
    for entry in $rest; do
        [ "$entry" = "$drop" ] && continue
        out="${out:+$out:}$entry"
    done
    printf '%s\n' "$out"
}

# `pulumi version` of binary $1 (e.g. v3.274.1), empty on failure.
binary_version() {
    PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$PULUMI_HOME_DIR" \
        timeout 60 "$1" version 2>/dev/null | grep -Eo '^v?[0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*' | tail -n1 || true
}

# version_ge A B: true when A >= B (leading v and pre-release suffix ignored).
version_ge() {
    local a="${1#v}" b="${2#v}"
    a="${a%%[-+]*}"; b="${b%%[-+]*}"
    [ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n1)" = "$b" ]
}

# The python that generated launchers run by default (absolute if possible).
default_python() {
    local py="${PULUMI_PYTHON:-$REPO_ROOT/.venv/bin/python}"
    case "$py" in
        */*) abspath "$py" ;;
        *) command -v "$py" || printf '%s\n' "$py" ;;  # bare command name
    esac
}

# install_generated TMP TARGET: make TMP executable and move it over TARGET,
# unless TARGET already has that content (then fail, so callers stay quiet).
install_generated() {
    chmod 0755 "$1"
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        rm -f "$1"
        return 1
    fi
    mv -f "$1" "$2"
}

# --- the dynamic-provider launcher ------------------------------------------
# Pulumi ships pulumi-resource-pulumi-python only in its release archives; the
# engine starts it for every dynamic resource.  Ours runs the project's venv.
# The shared head of a generated wrapper named $1: find the project's python
# (PULUMI_PYTHON at run time overrides the default chosen when it was written).
wrapper_head() {
    cat <<EOF
#!/bin/sh
PYTHON="\${PULUMI_PYTHON:-$(default_python)}"
if [ ! -x "\$PYTHON" ] && ! command -v "\$PYTHON" >/dev/null 2>&1; then
    echo "$1: python '\$PYTHON' not found;" \\
        "create the project's virtualenv or set PULUMI_PYTHON" >&2
    exit 1
fi
unset PYTHONHOME
EOF
}

write_launcher() {
    local target="$BIN_DIR/pulumi-resource-pulumi-python" tmp
    tmp="$(mktemp "$BIN_DIR/.launcher.XXXXXX")"
    {
        wrapper_head pulumi-resource-pulumi-python
        cat <<EOF
# Generated by tools/pulumi-offline/pulumi-cli.sh: Pulumi's dynamic-provider launcher.
exec "\$PYTHON" -u -m pulumi.dynamic "\$@"
EOF
    } >"$tmp"
    install_generated "$tmp" "$target" || true
}

# --- the fallback Python language host ----------------------------------------
# Without the upstream (Go) pulumi-language-python, `pulumi up` and the Automation
# API with a work_dir cannot run `runtime: python` projects.  This wrapper runs
# pulumi_language_python.py (next to this script), a minimal host that needs grpcio and pulumi
# in its own python; programs run with the virtualenv named in their Pulumi.yaml.
FALLBACK_MARKER="Generated by tools/pulumi-offline/pulumi-cli.sh: fallback Python language host"

is_fallback_langhost() { # is file $1 our wrapper (not an upstream host)?
    # (the marker's tail, so that wrappers written from the old scripts/ path match too)
    head -c 2000 "$1" 2>/dev/null | LC_ALL=C grep -aqF ": fallback Python language host"
}

# Is the upstream host (built from Go modules) installed in $BIN_DIR?
upstream_langhost_in_bin() {
    [ -x "$BIN_DIR/pulumi-language-python" ] && [ -x "$BIN_DIR/pulumi-language-python-exec" ] &&
        ! is_fallback_langhost "$BIN_DIR/pulumi-language-python"
}

ensure_fallback_langhost() {
    upstream_langhost_in_bin && return 0
    local target="$BIN_DIR/pulumi-language-python" tmp
    local host="$TOOLS_DIR/pulumi_language_python.py"
    [ -f "$host" ] || die "missing $host"
    tmp="$(mktemp "$BIN_DIR/.langhost.XXXXXX")"
    {
        wrapper_head pulumi-language-python
        cat <<EOF
# $FALLBACK_MARKER.
# Runs $host; that python needs grpcio and pulumi.
exec "\$PYTHON" -u "$host" "\$@"
EOF
    } >"$tmp"
    install_generated "$tmp" "$target" || return 0   # unchanged: nothing to say
    rm -f "$BIN_DIR/.pulumi-language-python.version"  # the stamp is for a Go build
    log "installed pulumi-language-python: the fallback host (tools/pulumi-offline/pulumi_language_python.py)"
}

# Drop our wrapper when it would shadow a real host found elsewhere on PATH.
remove_fallback_langhost() {
    if is_fallback_langhost "$BIN_DIR/pulumi-language-python"; then
        rm -f "$BIN_DIR/pulumi-language-python"
    fi
}

# --- building from the Go module proxy --------------------------------------
require_go() {
    command -v go >/dev/null 2>&1 ||
        die "no usable pulumi >= $PULUMI_MIN_VERSION on PATH and no 'go' to build $PULUMI_BUILD_VERSION"
}

# module_field FIELD MODULE@VERSION: download MODULE@VERSION through the proxy
# and print FIELD (GoMod: its go.mod file, Dir: its source tree).
module_field() {
    local json
    json="$(go mod download -json "$2" 2>&1)" || { printf '%s\n' "$json" >&2; return 1; }
    printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"'"$1"'": "\(.*\)",\{0,1\}$/\1/p'
}

# Repeat the non-path replace directives of go.mod file $1 in ./go.mod
# (path replaces such as `sdk/v3 => ../sdk` only make sense inside pulumi's repo).
copy_module_replaces() {
    local line lhs rhs old oldver new newver
    awk '
        { sub(/\/\/.*/, "") }
        /^replace[ \t]*\(/ { block = 1; next }
        block && /^[ \t]*\)/ { block = 0; next }
        block { print; next }
        /^replace[ \t]/ { sub(/^replace[ \t]+/, ""); print }
    ' "$1" | while IFS= read -r line; do
        case "$line" in *"=>"*) ;; *) continue ;; esac
        lhs="${line%%=>*}"; rhs="${line#*=>}"
        read -r new newver _ <<<"$rhs" || true
        [ -n "${newver:-}" ] || continue     # path replacement: skip
        read -r old oldver _ <<<"$lhs" || true
        printf '+ replace %s => %s\n' "${old}${oldver:+@$oldver}" "$new@$newver"  # to the log
        go mod edit -replace="${old}${oldver:+@$oldver}=$new@$newver"
    done
}

# build_tool NAME PACKAGE MODULE@VERSION LDFLAGS [GO-MOD-EDIT-FLAG...]: build
# PACKAGE into $BIN_DIR/NAME from a throwaway module of its own that requires
# MODULE@VERSION, with MODULE's non-path replaces and the given extra
# `go mod edit` flags; `go get`/`go mod tidy` resolve the rest from MODULE's go.mod.
build_tool() {
    local name="$1" package="$2" modver="$3" ldflags="$4"
    shift 4
    local dir="$BUILD_ROOT/$name"
    log "building $name from $modver (a first build takes minutes; log: $dir/build.log)"
    rm -rf "$dir"
    mkdir -p "$dir"
    (
        cd "$dir"
        export GOWORK=off
        exec 3>&2 >>"$dir/build.log" 2>&1   # go's chatter to the log; `log` to both
        log() { printf 'pulumi-cli: %s\n' "$*" >&3; printf 'pulumi-cli: %s\n' "$*"; }
        run() { printf '+ %s\n' "$*"; "$@"; }
        # A step that may take minutes: a line on the terminal every 20 s saying how far.
        long() { # long UNIT LOG [TOTAL] -- COMMAND...: tools/progress.sh
            "$PROGRESS" "pulumi-cli: building $name" "$@" 2>&3
        }
        run go mod init "local.invalid/build-$name"
        gomod="$(module_field GoMod "$modver")" && [ -n "$gomod" ] ||
            { log "cannot download $modver from the Go module proxy"; exit 1; }
        copy_module_replaces "$gomod"
        run go mod edit -require="$modver" "$@"
        PROGRESS_PATTERN='^go: downloading' long "modules downloaded" "$dir/build.log" -- \
            go get -tool "$package@${modver#*@}"
        PROGRESS_PATTERN='^go: downloading' long "modules downloaded" "$dir/build.log" -- \
            go mod tidy
        flags=(-trimpath -buildvcs=false -ldflags "-s -w $ldflags")
        # The packages the build cache lacks; `go build -v` names each as it compiles it.
        total="$(go list "${flags[@]}" -deps -f '{{if .Stale}}{{.StaleReason}}{{end}}' \
            "$package" | grep -vc '^not installed but available in build cache$' || true)"
        long "packages compiled (then one link)" "$dir/build.log" "$total" -- \
            go build -v "${flags[@]}" -o "$BIN_DIR/.$name.tmp" "$package"
        mv -f "$BIN_DIR/.$name.tmp" "$BIN_DIR/$name"
    ) || {
        log "building $name failed; last lines of $dir/build.log:"
        tail -n 15 "$dir/build.log" | sed 's/^/    /' >&2
        rm -f "$BIN_DIR/.$name.tmp"
        return 1
    }
}

# build_pulumi_tool NAME PACKAGE MODULE@VERSION: a tool of pulumi/pulumi itself,
# built against the CLI's pkg and sdk modules.
build_pulumi_tool() {
    build_tool "$1" "$2" "$3" "-X $VERSION_SYMBOL=$PULUMI_BUILD_VERSION" \
        -require="$PKG_MODULE@$PULUMI_BUILD_VERSION" \
        -require="$SDK_MODULE@$PULUMI_BUILD_VERSION"
}

ensure_cli() {
    local have
    if [ -x "$BIN_DIR/pulumi" ]; then
        have="$(binary_version "$BIN_DIR/pulumi")"
        [ "$have" = "$PULUMI_BUILD_VERSION" ] && return 0
        log "cached pulumi reports '${have}', expected $PULUMI_BUILD_VERSION: rebuilding"
    fi
    require_go
    local start=$SECONDS
    build_pulumi_tool pulumi "$CLI_PACKAGE" "$PKG_MODULE@$PULUMI_BUILD_VERSION" ||
        die "could not build the Pulumi CLI"
    have="$(binary_version "$BIN_DIR/pulumi")"
    [ "$have" = "$PULUMI_BUILD_VERSION" ] ||
        die "built pulumi reports '${have}', expected $PULUMI_BUILD_VERSION"
    log "built pulumi $have in $((SECONDS - start))s"
}

# The language host, plus the python shim it runs (shipped inside sdk/v3).
ensure_language_host() {
    local version="$PULUMI_LANGUAGE_PYTHON_VERSION"
    local stamp="$BIN_DIR/.pulumi-language-python.version"
    local failed="$BIN_DIR/.pulumi-language-python.unavailable"
    local exec_shim start=$SECONDS
    # Unset (the default): the fallback host serves; CONTRIBUTING.md says when to set it.
    [ -n "$version" ] || return 0
    if upstream_langhost_in_bin && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
        return 0
    fi
    if [ "$(cat "$failed" 2>/dev/null)" = "$version" ] && [ -z "${PULUMI_CLI_RETRY:-}" ]; then
        log "NOTE: no pulumi-language-python: the version PULUMI_LANGUAGE_PYTHON_VERSION names"
        log "      was unavailable earlier (PULUMI_CLI_RETRY=1 tries again)"
        return 0
    fi
    require_go
    if ! build_pulumi_tool pulumi-language-python "$LANGHOST_MODULE" "$LANGHOST_MODULE@$version"; then
        printf '%s\n' "$version" >"$failed"
        log "WARNING: could not build the upstream pulumi-language-python"
        return 0
    fi
    exec_shim="$(module_field Dir "$SDK_MODULE@$PULUMI_BUILD_VERSION")/python/cmd/pulumi-language-python-exec"
    [ -f "$exec_shim" ] || die "missing $exec_shim"
    install -m 0755 "$exec_shim" "$BIN_DIR/pulumi-language-python-exec"
    printf '%s\n' "$version" >"$stamp"
    rm -f "$failed"
    log "built pulumi-language-python in $((SECONDS - start))s"
}

# --- the YAML language host ----------------------------------------------------
# `runtime: yaml` programs need pulumi-language-yaml (Pulumi's release archives
# ship it; the Go modules do not).  Built from pulumi-yaml's module at its own
# pinned pulumi, plus the clipboard replace the CLI's go.mod carries.
YAML_STAMP_NAME=".pulumi-language-yaml.version"

ensure_yaml_host() {
    local version="$PULUMI_LANGUAGE_YAML_VERSION"
    local stamp="$BIN_DIR/$YAML_STAMP_NAME" start=$SECONDS
    [ -n "$version" ] || { log "NOTE: pulumi-language-yaml skipped (PULUMI_LANGUAGE_YAML_VERSION is empty)"; return 0; }
    if [ -x "$BIN_DIR/pulumi-language-yaml" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
        return 0
    fi
    require_go
    rm -f "$stamp"
    build_tool pulumi-language-yaml "$YAML_PACKAGE" "$YAML_MODULE@$version" \
        "-X $YAML_VERSION_SYMBOL=$version" -replace="$CLIPBOARD_REPLACE" ||
        die "could not build pulumi-language-yaml at PULUMI_LANGUAGE_YAML_VERSION (empty skips it)"
    printf '%s\n' "$version" >"$stamp"
    log "built pulumi-language-yaml $version in $((SECONDS - start))s"
}

# --- main --------------------------------------------------------------------
mkdir -p "$BIN_DIR" "$PULUMI_HOME_DIR" "$STATE_DIR"

# Serialise concurrent runs sharing the cache (a build takes many minutes).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE_ROOT/.lock"
    if ! flock -n 9; then
        log "waiting for another run of this script to finish with the cache (PULUMI_CLI_CACHE)"
        flock 9
    fi
fi

BASE_PATH="$(path_without "$BIN_DIR")"
SYSTEM_PULUMI=""
if [ -z "${PULUMI_CLI_FORCE_BUILD:-}" ]; then
    SYSTEM_PULUMI="$(PATH="$BASE_PATH" command -v pulumi 2>/dev/null || true)"
fi
if [ -n "$SYSTEM_PULUMI" ]; then
    system_version="$(binary_version "$SYSTEM_PULUMI")"
    if [ -n "$system_version" ] && version_ge "$system_version" "$PULUMI_MIN_VERSION"; then
        log "using $SYSTEM_PULUMI ($system_version)"
    else
        log "ignoring $SYSTEM_PULUMI (version '${system_version}' < $PULUMI_MIN_VERSION)"
        SYSTEM_PULUMI=""
    fi
fi

write_launcher
if [ -n "$SYSTEM_PULUMI" ]; then
    system_dir="$(dirname "$SYSTEM_PULUMI")"
    # Keep the existing pulumi first; our launchers (and nothing else) come next.
    NEW_PATH="$system_dir:$BIN_DIR:$(path_without "$system_dir" "$BASE_PATH")"
    # A real host outside our bin dir (next to that pulumi, or elsewhere on PATH)?
    if PATH="$(path_without "$BIN_DIR" "$NEW_PATH")" command -v pulumi-language-python >/dev/null 2>&1; then
        remove_fallback_langhost
    elif ! upstream_langhost_in_bin; then
        log "no pulumi-language-python on PATH next to $SYSTEM_PULUMI"
        ensure_language_host
        ensure_fallback_langhost
    fi
    if PATH="$(path_without "$BIN_DIR" "$NEW_PATH")" command -v pulumi-language-yaml >/dev/null 2>&1; then
        :   # the release archives ship it next to pulumi
    elif command -v go >/dev/null 2>&1; then
        ensure_yaml_host
    else
        log "NOTE: no pulumi-language-yaml on PATH and no 'go' to build it: runtime: yaml stacks will not run"
    fi
else
    ensure_cli
    ensure_language_host
    ensure_fallback_langhost
    ensure_yaml_host
    NEW_PATH="$BIN_DIR:$BASE_PATH"
fi

if [ "$MODE" = print-bin ]; then
    printf '%s\n' "$BIN_DIR"
    exit 0
fi

emit() { printf 'export %s=%q\n' "$1" "$2"; }
emit PATH "$NEW_PATH"
emit PULUMI_CLI_BIN "$BIN_DIR"
emit PULUMI_SKIP_UPDATE_CHECK true
emit PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION true
emit PULUMI_HOME "$PULUMI_HOME_DIR"
emit PULUMI_BACKEND_URL "file://$STATE_DIR"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    emit PULUMI_CONFIG_PASSPHRASE local-dev-only
fi
if [ -n "${PULUMI_PYTHON:-}" ]; then
    # absolute, so that the launcher finds it from any working directory
    case "$PULUMI_PYTHON" in */*) emit PULUMI_PYTHON "$(abspath "$PULUMI_PYTHON")" ;; esac
fi
