#!/usr/bin/env bash
# The soak (`just soak`; not in CI; rules and figures in docs/benchmarks.md, "Soak"): half an
# hour of the mixed load at half of its measured maximum, with backups, against the verdicts
# RSS growth ≤ 10 %, p99 drift ≤ 50 %, no failed request, no leaked descriptor or database
# connection, and every backup exiting 0.
#
# Builds `web`, `ops` and `loadgen` with --release, then:
#   1. starts `web` on a fresh database (a temporary SQLite file; SOAK_BACKEND=postgres: a
#      throwaway PostgreSQL with its durable defaults, or a database on WETECH_TEST_POSTGRES_URL)
#      in a clean environment, in simulator mode, with metrics on, the outbox sending every
#      lead's two messages and every receipt (MAIL__STAFF_TO set; the `file` transport, whose
#      delivered .eml files are deleted after a minute, or SOAK_MAIL=smtp: the tests' SMTP server,
#      crates/test-smtp's `smtp_sink`, which keeps what it receives in its own memory);
#   2. adds an admin (`ops staff add`, the password on standard input) and signs in through the
#      login form (curl), for the back-office lists;
#   3. runs `loadgen soak`: leads to start from, the maximum of the mix closed-loop (32
#      connections, SOAK_MAX_SECS), an idle sample, then the mix paced at SOAK_LOAD_FRACTION of
#      that maximum for SOAK_DURATION_SECS in windows of SOAK_WINDOW_SECS, another idle sample,
#      the windows table and the verdicts;
#   4. meanwhile runs `ops backup` with the server's configuration every SOAK_BACKUP_INTERVAL_SECS
#      of the paced load (each must exit 0);
# and prints the report (also to SOAK_OUT). Exit status 1 when a verdict fails, a backup fails
# or `web` exits. Everything it starts is stopped and deleted on exit.
#
# Knobs (environment):
#   SOAK_DURATION_SECS         paced load, seconds                     (default 1800)
#   SOAK_SETTLE_SECS           left out of the RSS and p99 comparisons (default 300)
#   SOAK_WINDOW_SECS           one window of the report                (default 60)
#   SOAK_DRIFT_SPAN_SECS       the p99 comparison's first and last span (default 300)
#   SOAK_BACKUP_INTERVAL_SECS  a backup every this many seconds        (default 300)
#   SOAK_LOAD_FRACTION         paced rate ÷ measured maximum           (default 0.5)
#   SOAK_RATE                  pace at this many requests/s instead (the maximum is not measured)
#   SOAK_MAX_SECS              closed-loop seconds measuring the maximum (default 20)
#   SOAK_CONNECTIONS           closed-loop connections                 (default 32)
#   SOAK_BACKEND               sqlite or postgres                      (default sqlite)
#   SOAK_MAIL                  file or smtp                            (default file)
#   SOAK_LOG_LEVEL             the server's log level                  (default warn)
#   SOAK_SERVER_ENV            extra server settings, e.g. "WETECH__DATABASE__POOL_SIZE=4"
#   SOAK_LOADGEN_ARGS          extra `loadgen soak` arguments, e.g. "--idle-wait 20"
#   SOAK_OUT                   also write the report to this file
#   WETECH_TEST_POSTGRES_URL   use this PostgreSQL server (a database is created and dropped on it)
#   CARGO_TARGET_DIR           where cargo builds (default ./target)
#
# A short try: SOAK_DURATION_SECS=240 SOAK_SETTLE_SECS=60 SOAK_DRIFT_SPAN_SECS=60 \
#              SOAK_BACKUP_INTERVAL_SECS=120 bash scripts/soak.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${SOAK_DURATION_SECS:-1800}
SETTLE=${SOAK_SETTLE_SECS:-300}
WINDOW=${SOAK_WINDOW_SECS:-60}
DRIFT_SPAN=${SOAK_DRIFT_SPAN_SECS:-300}
BACKUP_INTERVAL=${SOAK_BACKUP_INTERVAL_SECS:-300}
LOAD_FRACTION=${SOAK_LOAD_FRACTION:-0.5}
MAX_SECS=${SOAK_MAX_SECS:-20}
CONNECTIONS=${SOAK_CONNECTIONS:-32}
BACKEND=${SOAK_BACKEND:-sqlite}
MAIL=${SOAK_MAIL:-file}
LOG_LEVEL=${SOAK_LOG_LEVEL:-warn}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
case "$BACKEND" in sqlite | postgres) ;; *) echo "SOAK_BACKEND must be sqlite or postgres, not $BACKEND" >&2; exit 2 ;; esac
case "$MAIL" in file | smtp) ;; *) echo "SOAK_MAIL must be file or smtp, not $MAIL" >&2; exit 2 ;; esac
for n in DURATION SETTLE WINDOW DRIFT_SPAN BACKUP_INTERVAL MAX_SECS CONNECTIONS; do
    case "${!n}" in '' | *[!0-9]*) echo "SOAK_$n must be a whole number, not '${!n}'" >&2; exit 2 ;; esac
done
[ "$BACKUP_INTERVAL" -gt 0 ] || { echo "SOAK_BACKUP_INTERVAL_SECS must be at least 1" >&2; exit 2; }

say() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d -t wetech-soak-XXXXXX)
SERVER_PID=""
SMTP_PID=""
BACKUP_PID=""
PRUNE_PID=""
PG_DIR=""
PG_BIN=""
PG_ADMIN_URL=""
PG_EXTERNAL=0
PG_DATABASES=()
DB_URL=""

# as_postgres, stop_server, start_postgres, stop_postgres, new_database, psql_admin.
. "$ROOT/scripts/bench-lib.sh"

cleanup() {
    for pid in "$BACKUP_PID" "$PRUNE_PID"; do
        if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    done
    stop_server
    if [ -n "$SMTP_PID" ]; then kill "$SMTP_PID" 2>/dev/null || true; wait "$SMTP_PID" 2>/dev/null || true; fi
    stop_postgres
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sign_in ORIGIN JAR: the session cookie of the admin account, as a Cookie header, on stdout.
sign_in() {
    local origin=$1 jar=$2 token
    token=$(curl -fsS -c "$jar" -b "$jar" "$origin/admin/login" |
        sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
    [ -n "$token" ] || { echo "no CSRF token on the login page" >&2; return 1; }
    curl -fsS -o /dev/null -c "$jar" -b "$jar" \
        --data-urlencode "email=soak@example.com" --data-urlencode "password@$WORK/password" \
        --data-urlencode "csrf_token=$token" "$origin/admin/login"
    # The cookie jar's lines: domain, flag, path, secure, expiry, name, value.
    sed 's/^#HttpOnly_//' "$jar" | awk -F'\t' 'NF == 7 && $1 !~ /^#/ { printf "%s%s=%s", sep, $6, $7; sep = "; " }'
}

# backup_loop: once the paced load has started (the marker says `paced`), `ops backup` every
# BACKUP_INTERVAL seconds while it lasts; one line per backup in $WORK/backups.tsv (number,
# second of the paced load it started at, seconds taken, exit status, size in bytes, file name).
backup_loop() {
    local marker=$WORK/paced.marker
    until [ -s "$marker" ]; do sleep 1; done
    local started n=0
    started=$(date +%s)
    while :; do
        local next=$((started + (n + 1) * BACKUP_INTERVAL))
        while [ "$(date +%s)" -lt "$next" ]; do
            grep -q '^done' "$marker" && return 0
            sleep 1
        done
        grep -q '^done' "$marker" && return 0
        n=$((n + 1))
        local t0 t1 rc=0 path size=-
        t0=$(date +%s.%N)
        "${OPS_ENV[@]}" PGAPPNAME=wetech-soak-backup "$OPS" backup >"$WORK/backup-$n.out" 2>"$WORK/backup-$n.err" || rc=$?
        t1=$(date +%s.%N)
        path=$(tail -1 "$WORK/backup-$n.out" 2>/dev/null || true)
        if [ "$rc" = 0 ] && [ -f "$path" ]; then size=$(stat -c %s "$path"); fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$(awk -v a="$t0" -v s="$started" 'BEGIN { printf "%.0f", a - s }')" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" "$rc" "$size" "$(basename "${path:--}")" >>"$WORK/backups.tsv"
        if [ "$rc" != 0 ]; then
            echo "!! backup $n failed (exit $rc): $(tail -3 "$WORK/backup-$n.err")" >&2
        else
            echo "loadgen: soak: backup $n done in $(tail -1 "$WORK/backups.tsv" | cut -f3) s" >&2
        fi
    done
}

# prune_mail: deletes delivered .eml files older than a minute (the file transport), counting them.
prune_mail() {
    while sleep 30; do
        find "$WORK/mail" -maxdepth 1 -name '*.eml' -mmin +1 -delete -print 2>/dev/null | wc -l >>"$WORK/mail-deleted"
    done
}

say "building the release binaries (web, ops, loadgen$([ "$MAIL" = smtp ] && echo ', the test SMTP server'))"
cargo build --release --bin web --bin ops
cargo build --release -p wetech-loadgen --bin loadgen
if [ "$MAIL" = smtp ]; then cargo build --release -p wetech-test-smtp --example smtp_sink; fi
WEB=$TARGET_DIR/release/web
OPS=$TARGET_DIR/release/ops
LOADGEN=$TARGET_DIR/release/loadgen

dir=$WORK/site
mkdir -p "$dir/logs" "$dir/media" "$dir/backups"
MAIL_DIR=$WORK/mail
mkdir -p "$MAIL_DIR"
if [ "$BACKEND" = postgres ]; then
    start_postgres || { echo "!! PostgreSQL unavailable (no initdb/pg_ctl, no WETECH_TEST_POSTGRES_URL)" >&2; exit 1; }
fi
new_database "$BACKEND" "$dir"

mail_env=(WETECH__MAIL__TRANSPORT=file WETECH__MAIL__DIR="$MAIL_DIR")
if [ "$MAIL" = smtp ]; then
    "$TARGET_DIR/release/examples/smtp_sink" >"$WORK/smtp.port" &
    SMTP_PID=$!
    for _ in $(seq 1 100); do [ -s "$WORK/smtp.port" ] && break; sleep 0.05; done
    [ -s "$WORK/smtp.port" ] || { echo "the test SMTP server did not start" >&2; exit 1; }
    mail_env=(WETECH__MAIL__TRANSPORT=smtp WETECH__MAIL__SMTP__HOST=127.0.0.1
        WETECH__MAIL__SMTP__PORT="$(head -1 "$WORK/smtp.port")" WETECH__MAIL__SMTP__TLS=none)
fi

head -c 18 /dev/urandom | base64 | tr -d '\n' >"$WORK/password"
head -c 24 /dev/urandom | base64 | tr -d '\n/+=' >"$WORK/callback-token"
port=$("$LOADGEN" free-port)
metrics_port=$("$LOADGEN" free-port)
origin="http://127.0.0.1:$port"
# The server's configuration, shared by `web` and `ops` (a clean environment: no config file,
# RUST_LOG or WETECH__* of the caller leaks in).
# shellcheck disable=SC2206 # SOAK_SERVER_ENV's settings are words on purpose
OPS_ENV=(env -i PATH="$PATH" HOME="$dir"
    WETECH__SERVER__HOST=127.0.0.1
    WETECH__SERVER__PORT="$port"
    WETECH__DATABASE__URL="$DB_URL"
    WETECH__LOG__DIR="$dir/logs"
    WETECH__LOG__LEVEL="$LOG_LEVEL"
    WETECH__STORAGE__MEDIA_DIR="$dir/media"
    WETECH__BACKUP__DIR="$dir/backups"
    WETECH__MAIL__STAFF_TO=office@example.com
    "${mail_env[@]}"
    WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN="$(cat "$WORK/callback-token")"
    WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE=1000000000
    WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS=5
    WETECH__OBSERVABILITY__METRICS_ADDR="127.0.0.1:$metrics_port"
    ${SOAK_SERVER_ENV:-})

pool_size=$("${OPS_ENV[@]}" "$OPS" --json config show |
    python3 -c 'import json, sys; print(next(k["value"] for k in json.load(sys.stdin)["keys"] if k["key"] == "database.pool_size"))')
"${OPS_ENV[@]}" "$OPS" migrate >/dev/null
"${OPS_ENV[@]}" "$OPS" staff add soak@example.com --name "Soak Admin" --role admin <"$WORK/password" >/dev/null

say "web on $origin ($BACKEND, pool of $pool_size, mail: $MAIL, metrics on 127.0.0.1:$metrics_port; load average $(cut -d' ' -f1-3 /proc/loadavg))"
(cd "$dir" && exec "${OPS_ENV[@]}" PGAPPNAME=wetech-soak-web "$WEB" >"$dir/stdout.log" 2>"$dir/stderr.log") &
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fs -o /dev/null "$origin/health/ready/" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$dir/stderr.log" >&2; exit 1; }
    sleep 0.1
done
sign_in "$origin" "$WORK/cookies" >"$WORK/cookie"

db_args=()
if [ "$BACKEND" = postgres ]; then
    psql=psql
    if [ -n "$PG_BIN" ]; then psql=$PG_BIN/psql; fi
    # Only the server's own connections (its PGAPPNAME); the backups connect as another name.
    db_args=(--db-connections-command "$psql -X -tA -d '$PG_ADMIN_URL' -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = '${DB_URL##*/}' AND application_name = 'wetech-soak-web'\""
        --db-pool-size "$pool_size")
fi
rate_args=(--load-fraction "$LOAD_FRACTION")
if [ -n "${SOAK_RATE:-}" ]; then rate_args=(--rate "$SOAK_RATE"); fi

backup_loop &
BACKUP_PID=$!
if [ "$MAIL" = file ]; then
    prune_mail &
    PRUNE_PID=$!
fi

say "loadgen soak: ${DURATION} s paced after the maximum (${MAX_SECS} s, $CONNECTIONS connections), backups every ${BACKUP_INTERVAL} s"
rc=0
# shellcheck disable=SC2086 # SOAK_LOADGEN_ARGS's arguments are words on purpose
"$LOADGEN" soak --url "$origin" --server-pid "$SERVER_PID" \
    --cookie-file "$WORK/cookie" --callback-token-file "$WORK/callback-token" \
    --metrics-url "http://127.0.0.1:$metrics_port" \
    --duration "$DURATION" --settle "$SETTLE" --window "$WINDOW" --drift-span "$DRIFT_SPAN" \
    --max-duration "$MAX_SECS" --connections "$CONNECTIONS" "${rate_args[@]}" \
    --paced-marker "$WORK/paced.marker" "${db_args[@]}" ${SOAK_LOADGEN_ARGS:-} >"$WORK/report.md" || rc=$?
# The marker says done (or loadgen failed before): the loop ends after a running backup.
echo done >"$WORK/paced.marker"
wait "$BACKUP_PID" || true
BACKUP_PID=""
server_alive=1
kill -0 "$SERVER_PID" 2>/dev/null || server_alive=0
stop_server

expected=$(( (DURATION - 1) / BACKUP_INTERVAL ))
backups=0
failed_backups=0
if [ -f "$WORK/backups.tsv" ]; then
    backups=$(wc -l <"$WORK/backups.tsv")
    failed_backups=$(awk -F'\t' '$4 != 0' "$WORK/backups.tsv" | wc -l)
fi
mail_files=$(( $(awk '{ n += $1 } END { print n + 0 }' "$WORK/mail-deleted" 2>/dev/null || echo 0) + $(find "$MAIL_DIR" -maxdepth 1 -name '*.eml' | wc -l) ))
{
    echo
    echo "### Soak, $BACKEND, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); loadgen, the server and the backups share the CPUs. Pool size $pool_size; mail: $MAIL$([ "$MAIL" = file ] && echo ", $mail_files messages written"); \`bash scripts/soak.sh\` with SOAK_DURATION_SECS=$DURATION SOAK_SETTLE_SECS=$SETTLE SOAK_WINDOW_SECS=$WINDOW SOAK_DRIFT_SPAN_SECS=$DRIFT_SPAN SOAK_BACKUP_INTERVAL_SECS=$BACKUP_INTERVAL${SOAK_SERVER_ENV:+ SOAK_SERVER_ENV=\"$SOAK_SERVER_ENV\"}."
    cat "$WORK/report.md"
    echo "- backups: $([ "$failed_backups" = 0 ] && [ "$backups" -ge "$expected" ] && echo passed || echo '**FAILED**'). $backups of $expected taken during the paced load (one every $BACKUP_INTERVAL s), $failed_backups failed; every one must exit 0."
    if [ "$server_alive" = 0 ]; then echo "- server: **FAILED**. \`web\` exited during the soak; its stderr ends: $(tail -3 "$dir/stderr.log" | tr '\n' ' ')"; fi
    if [ "$backups" -gt 0 ]; then
        echo
        echo "| backup | at s of the paced load | seconds | exit | size MiB |"
        echo "|--:|--:|--:|--:|--:|"
        awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, ($5 == "-" ? "-" : sprintf("%.1f", $5 / 1048576)) }' "$WORK/backups.tsv"
    fi
    if [ -s "$dir/logs/errors.log" ]; then
        echo
        echo "server errors.log, by message (count, first 3 kinds):"
        echo
        grep -o '"msg":"[^"]*"' "$dir"/logs/errors.log* | cut -c1-200 | sort | uniq -c | sort -rn | head -3 | sed 's/^ */    /'
    fi
} | tee "${SOAK_OUT:-/dev/null}"

if [ "$failed_backups" != 0 ] || [ "$backups" -lt "$expected" ] || [ "$server_alive" = 0 ]; then rc=1; fi
exit "$rc"
