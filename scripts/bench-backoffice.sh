#!/usr/bin/env bash
# The back office on a large history (`just bench-backoffice`, part of `just bench`; figures in
# docs/benchmarks.md, "Back office on 1 000 000 leads").
#
# Builds `web`, `ops`, `loadgen` and the seeder (the `seed_backoffice` example of
# wetech-persistence) with --release, then for each backend (a temporary SQLite file, and a
# throwaway PostgreSQL when initdb/pg_ctl or WETECH_TEST_POSTGRES_URL are there):
#   1. seeds BENCH_LEADS leads with their clients and invoices (`seed_backoffice`);
#   2. adds an admin account (`ops staff add`, the password on standard input), starts `web`,
#      signs in through the login form (curl, its CSRF token and cookie);
#   3. reads, one request at a time over one keep-alive connection, the leads list, its page 200,
#      a search by part of a phone number, a search by part of a name and the dashboard
#      (`loadgen pages`: BENCH_REQUESTS measured requests each after 10 unmeasured);
# and prints p50/p99 of each against the target (p99 < 100 ms) as met or missed. Everything it
# starts is stopped and deleted on exit.
#
# Knobs (environment):
#   BENCH_LEADS           leads to seed                          (default 1000000)
#   BENCH_REQUESTS        measured requests per page             (default 200)
#   BENCH_BACKENDS        "sqlite postgres" or one of them       (default both)
#   BENCH_STRICT          1 = exit 1 when a target is missed     (default 0)
#   BENCH_OUT             also write the report to this file
#   WETECH_TEST_POSTGRES_URL  use this PostgreSQL server (a database is created and dropped on it)
#   CARGO_TARGET_DIR      where cargo builds (default ./target)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

LEADS=${BENCH_LEADS:-1000000}
REQUESTS=${BENCH_REQUESTS:-200}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
STRICT=${BENCH_STRICT:-0}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac

say() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d -t wetech-bench-office-XXXXXX)
SERVER_PID=""
PG_DIR=""
PG_BIN=""
PG_ADMIN_URL=""
PG_DATABASE=""

# as_postgres, stop_server, find_pg_bin, start_pg_server.
. "$ROOT/scripts/bench-lib.sh"

cleanup() {
    stop_server
    if [ -n "$PG_DATABASE" ] && [ -z "$PG_DIR" ]; then
        psql -X -q -d "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$PG_DATABASE\" WITH (FORCE)" || true
    fi
    if [ -n "$PG_DIR" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sets DB_URL to a fresh PostgreSQL database, or returns 1 when PostgreSQL is unavailable.
postgres_database() {
    if [ -n "${WETECH_TEST_POSTGRES_URL:-}" ]; then
        PG_ADMIN_URL=$WETECH_TEST_POSTGRES_URL
    else
        start_pg_server || return 1
    fi
    PG_DATABASE="wetech_bench_office_$$"
    "${PG_BIN:+$PG_BIN/}psql" -X -q -v ON_ERROR_STOP=1 -d "$PG_ADMIN_URL" -c "CREATE DATABASE \"$PG_DATABASE\"" >/dev/null || return 1
    DB_URL="${PG_ADMIN_URL%/*}/$PG_DATABASE"
}

# sign_in ORIGIN JAR: the session cookie of the admin account, as a Cookie header, on stdout.
sign_in() {
    local origin=$1 jar=$2 token
    token=$(curl -fsS -c "$jar" -b "$jar" "$origin/admin/login" |
        sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
    [ -n "$token" ] || { echo "no CSRF token on the login page" >&2; return 1; }
    curl -fsS -o /dev/null -c "$jar" -b "$jar" \
        --data-urlencode "email=bench@example.com" --data-urlencode "password@$WORK/password" \
        --data-urlencode "csrf_token=$token" "$origin/admin/login"
    # The cookie jar's lines: domain, flag, path, secure, expiry, name, value.
    sed 's/^#HttpOnly_//' "$jar" | awk -F'\t' 'NF == 7 && $1 !~ /^#/ { printf "%s%s=%s", sep, $6, $7; sep = "; " }'
}

# run_backend BACKEND
run_backend() {
    local backend=$1 dir=$WORK/$1
    mkdir -p "$dir/logs" "$dir/media"
    case "$backend" in
        sqlite) DB_URL="sqlite://$dir/wetech.sqlite3" ;;
        postgres) postgres_database || { echo "!! PostgreSQL unavailable: not measured" >&2; return 0; } ;;
    esac
    say "$backend: seeding $LEADS leads (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    "$SEEDER" "$DB_URL" "$LEADS" | tee "$dir/counts" >&2 ||
        { echo "!! seeding $backend failed: not measured" >&2; return 1; }
    local env=(env -i PATH="$PATH" HOME="$dir"
        WETECH__DATABASE__URL="$DB_URL"
        WETECH__LOG__DIR="$dir/logs"
        WETECH__LOG__LEVEL=warn
        WETECH__STORAGE__MEDIA_DIR="$dir/media")
    "${env[@]}" "$OPS" staff add bench@example.com --name "Bench Admin" --role admin <"$WORK/password" >/dev/null
    local port origin
    port=$("$LOADGEN" free-port)
    origin="http://127.0.0.1:$port"
    (cd "$dir" && exec "${env[@]}" WETECH__SERVER__HOST=127.0.0.1 WETECH__SERVER__PORT="$port" \
        WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS=5 "$WEB" >"$dir/stdout.log" 2>"$dir/stderr.log") &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        curl -fs -o /dev/null "$origin/health/live/" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$dir/stderr.log" >&2; return 1; }
        sleep 0.1
    done
    sign_in "$origin" "$dir/cookies" >"$dir/cookie"
    local strict=() rc=0
    if [ "$STRICT" = 1 ]; then strict=(--strict); fi
    say "$backend: measuring ($REQUESTS requests a page, one at a time)"
    {
        echo
        echo "#### $backend: $(tr '\n' ' ' <"$dir/counts")"
        echo
        "$LOADGEN" pages --url "$origin" --cookie-file "$dir/cookie" --requests "$REQUESTS" "${strict[@]}" \
            --page "leads, page 1=/admin/leads" \
            --page "leads, page 200=/admin/leads?page=200" \
            --page "search, part of a phone (0710 1234)=/admin/leads?q=0710+1234" \
            --page "search, part of a name (mwakuse)=/admin/leads?q=mwakuse" \
            --page "dashboard=/admin/" || rc=$?
    } | tee -a "$WORK/report.md" >&2
    stop_server
    return "$rc"
}

say "building the release binaries (web, ops, loadgen, the seeder)"
cargo build --release --bin web --bin ops
cargo build --release -p wetech-loadgen --bin loadgen
cargo build --release -p wetech-persistence --example seed_backoffice
WEB=$TARGET_DIR/release/web
OPS=$TARGET_DIR/release/ops
LOADGEN=$TARGET_DIR/release/loadgen
SEEDER=$TARGET_DIR/release/examples/seed_backoffice
head -c 18 /dev/urandom | base64 | tr -d '\n' >"$WORK/password"

failed=0
for backend in $BACKENDS; do
    run_backend "$backend" || failed=1
done

{
    echo
    echo "### Back office, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); loadgen and server share the CPUs."
    cat "$WORK/report.md"
} | tee "${BENCH_OUT:-/dev/null}"

exit "$failed"
