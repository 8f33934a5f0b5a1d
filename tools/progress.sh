# Sourced by the build scripts: run a long step and say, at least every 20 s, that it is
# still running and how far along it is. Progress goes to stderr.
#
#   progress_log "message"
#   PROGRESS_OF="how far along" run_with_progress "label" command args...
#
# PROGRESS_OF, when set, is a command whose output is appended to each heartbeat line
# (e.g. "312/870 packages compiled").

progress_log() { printf '%s: %s\n' "${PROGRESS_NAME:-build}" "$*" >&2; }

run_with_progress() {
    local label="$1" start=$SECONDS next=20 pid status=0 far
    shift
    "$@" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.25
        if (( SECONDS - start >= next )); then
            far="${PROGRESS_OF:+, $(eval "$PROGRESS_OF" 2>/dev/null)}"
            progress_log "$label: still running ($((SECONDS - start)) s$far)"
            next=$((next + 20))
        fi
    done
    wait "$pid" || status=$?
    return "$status"
}
