#!/usr/bin/env bash
# HTTP load benchmark of the release `web` binary (`just bench` runs it; figures in docs/benchmarks.md).
#
# Builds `web` and `loadgen` with --release, then for each backend (a temporary SQLite file, and a
# throwaway PostgreSQL with its durable defaults when PostgreSQL is available):
#   1. measures the persistence benchmark's baseline (criterion `<backend>/baseline_one_insert_per_tx`,
#      one single-row insert per transaction through UnitOfWork::write) on the same kind of database,
#      and for reference its `<backend>/lead_unit_of_work` (the endpoint's transaction without HTTP);
#   2. for each log level: starts `web` on a fresh database, runs `loadgen` (32 keep-alive connections
#      on 127.0.0.1: POST /api/v1/leads, GET /api/v1/invoices/{id}, GET /health/live/, a fixed time
#      each), reads the server's VmHWM, stops the server;
# and prints a table with the targets of issue 16 (lead submission ≥ 90 % of the baseline and its
# p99 < 10 ms; invoice reads ≥ 60 % of /health/live/ on SQLite, ≥ 45 % on PostgreSQL, p99 < 8 ms;
# 0 errors; peak RSS < 48 MiB). Everything it starts is stopped and deleted on exit.
#
# Knobs (environment):
#   BENCH_DURATION_SECS   measured seconds per case            (default 10)
#   BENCH_WARM_UP_SECS    unmeasured seconds before each case  (default 1)
#   BENCH_CONNECTIONS     concurrent connections               (default 32)
#   BENCH_BACKENDS        "sqlite postgres" or one of them     (default both)
#   BENCH_LOG_LEVELS      server log levels to run             (default "warn info")
#   BENCH_LOADGEN_THREADS loadgen runtime threads              (default 1)
#   BENCH_BASELINE        1 = run the criterion baseline       (default 1)
#   BENCH_STRICT          1 = exit 1 when a target is missed   (default 0)
#   BENCH_OUT             also write the report to this file
#   BENCH_SERVER_ENV      extra server settings for experiments, e.g. "WETECH__DATABASE__POOL_SIZE=1"
#   BENCH_WEB             measure this `web` binary instead of the one built here (an older
#                         build, for a side-by-side comparison)
#   WETECH_TEST_POSTGRES_URL  use this PostgreSQL server (a database is created and dropped on it)
#   CARGO_TARGET_DIR      where cargo builds (default ./target)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION_SECS:-10}
WARM_UP=${BENCH_WARM_UP_SECS:-1}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
LOG_LEVELS=${BENCH_LOG_LEVELS:-warn info}
THREADS=${BENCH_LOADGEN_THREADS:-1}
BASELINE=${BENCH_BASELINE:-1}
STRICT=${BENCH_STRICT:-0}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac

say() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d -t wetech-bench-XXXXXX)
SERVER_PID=""
PG_DIR=""
PG_BIN=""
PG_ADMIN_URL=""
PG_EXTERNAL=0
PG_DATABASES=()
DB_URL=""

# as_postgres, stop_server, start_postgres, stop_postgres, new_database, psql_admin.
. "$ROOT/scripts/bench-lib.sh"

cleanup() {
    stop_server
    stop_postgres
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_baseline BACKEND -> prints the estimates.json path, or nothing.
run_baseline() {
    local backend=$1 log=$WORK/criterion-$1.log
    local est=$WORK/criterion/$backend/baseline_one_insert_per_tx/new/estimates.json
    local filter="^$backend/(baseline_one_insert_per_tx|lead_unit_of_work)\$"
    say "baseline: cargo bench -p wetech-persistence --bench unit_of_work -- '$filter'"
    if ! env ${PG_ADMIN_URL:+WETECH_TEST_POSTGRES_URL="$PG_ADMIN_URL"} CRITERION_HOME="$WORK/criterion" \
        cargo bench -q -p wetech-persistence --bench unit_of_work -- "$filter" >"$log" 2>&1; then
        tail -20 "$log" >&2
        echo "the baseline benchmark failed; continuing without it" >&2
        return 0
    fi
    {
        printf -- '- baseline `%s/baseline_one_insert_per_tx` (criterion):' "$backend"
        grep -A3 "^$backend/baseline_one_insert_per_tx" "$log" | grep -E "thrpt:" | sed 's/ \{2,\}/ /g' || true
        printf -- '- lead unit of work `%s/lead_unit_of_work` (criterion):' "$backend"
        grep -A3 "^$backend/lead_unit_of_work" "$log" | grep -E "thrpt:" | sed 's/ \{2,\}/ /g' || true
        grep -iE "^${backend}(ql)?: interleaved medians" "$log" | sed 's/^/  - /' || true
    } | tee -a "$WORK/baseline.md" >&2
    if [ -f "$est" ]; then printf '%s\n' "$est"; fi
}

# run_case BACKEND LEVEL BASELINE_ESTIMATES
run_case() {
    local backend=$1 level=$2 estimates=$3
    local dir=$WORK/$backend-$level
    mkdir -p "$dir/logs" "$dir/media"
    local port
    new_database "$backend" "$dir"
    port=$("$LOADGEN" free-port)
    say "$backend, log level $level: web on 127.0.0.1:$port (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    # A clean environment: no config file, RUST_LOG or WETECH__* of the caller leaks in.
    (cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" \
        WETECH__SERVER__HOST=127.0.0.1 \
        WETECH__SERVER__PORT="$port" \
        WETECH__DATABASE__URL="$DB_URL" \
        WETECH__LOG__DIR="$dir/logs" \
        WETECH__LOG__LEVEL="$level" \
        WETECH__STORAGE__MEDIA_DIR="$dir/media" \
        WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE=1000000000 \
        WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS=5 \
        ${BENCH_SERVER_ENV:-} \
        "$WEB" >"$dir/stdout.log" 2>"$dir/stderr.log") &
    SERVER_PID=$!
    local strict=()
    if [ "$STRICT" = 1 ]; then strict=(--strict); fi
    local baseline=()
    if [ -n "$estimates" ]; then
        baseline=(--baseline-estimates "$estimates")
        local uow=${estimates%/baseline_one_insert_per_tx/new/estimates.json}/lead_unit_of_work/new/estimates.json
        if [ -f "$uow" ]; then baseline+=(--lead-uow-estimates "$uow"); fi
    fi
    local rc=0
    "$LOADGEN" run --url "http://127.0.0.1:$port" --backend "$backend" --label "$backend, log level $level${BENCH_SERVER_ENV:+, $BENCH_SERVER_ENV}" \
        --connections "$CONNECTIONS" --duration "$DURATION" --warm-up "$WARM_UP" \
        --threads "$THREADS" --server-pid "$SERVER_PID" --summary-row "$WORK/summary.md" \
        "${baseline[@]}" "${strict[@]}" >>"$WORK/report.md" || rc=$?
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "web exited during the run; its stderr:" >&2
        tail -20 "$dir/stderr.log" >&2
        rc=1
    fi
    stop_server
    echo "   server log: $(wc -l <"$dir/stdout.log") lines on stdout, logs/ $(du -sh "$dir/logs" | cut -f1)" >&2
    # What the server said about failures (errors.log holds error-level lines only).
    if cat "$dir"/logs/errors.log* >/dev/null 2>&1 && [ -s "$(ls "$dir"/logs/errors.log* | head -1)" ]; then
        {
            echo
            echo "server errors.log, by message (count, first 3 kinds):"
            echo
            cat "$dir"/logs/errors.log* | grep -o '"error[a-z_.]*":"[^"]*"' | cut -c1-200 |
                sort | uniq -c | sort -rn | head -3 | sed 's/^ */    /'
            echo
        } | tee -a "$WORK/report.md" >&2
    fi
    return "$rc"
}

say "building the release binaries (cargo build --release --bin web; -p wetech-loadgen)"
cargo build --release --bin web
cargo build --release -p wetech-loadgen --bin loadgen
WEB=${BENCH_WEB:-$TARGET_DIR/release/web}
LOADGEN=$TARGET_DIR/release/loadgen

PG_OK=0
case " $BACKENDS " in
    *" postgres "*)
        if start_postgres; then
            PG_OK=1
        else
            printf '\n%s\n!! PostgreSQL unavailable (no initdb/pg_ctl, no WETECH_TEST_POSTGRES_URL): only SQLite is measured.\n%s\n' \
                "$(printf '!%.0s' {1..78})" "$(printf '!%.0s' {1..78})" >&2
        fi
        ;;
esac

"$LOADGEN" summary-header >"$WORK/summary.md"
failed=0
for backend in $BACKENDS; do
    if [ "$backend" = postgres ] && [ "$PG_OK" != 1 ]; then continue; fi
    estimates=""
    if [ "$BASELINE" = 1 ]; then estimates=$(run_baseline "$backend"); fi
    for level in $LOG_LEVELS; do
        run_case "$backend" "$level" "$estimates" || failed=1
    done
done

{
    echo
    echo "### HTTP load, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); loadgen and server share the CPUs."
    echo
    cat "$WORK/summary.md"
    echo
    if [ -f "$WORK/baseline.md" ]; then cat "$WORK/baseline.md"; echo; fi
    cat "$WORK/report.md"
} | tee "${BENCH_OUT:-/dev/null}"

exit "$failed"
