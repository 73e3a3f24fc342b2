#!/usr/bin/env bash
# Instructions per request of the release `web`, counted by valgrind's callgrind (docs/benchmarks.md,
# "Variants side by side"): a count, not a time, so it is repeatable on this shared, noisy machine
# where a throughput difference of a few per cent drowns in the spread between rounds.
#
# For each side (metrics off, metrics on) and database: starts `web` under callgrind on a fresh
# SQLite file (or PostgreSQL database), warms it with BENCH_WARM leads, then for each case zeroes
# the counters (callgrind_control --zero), sends BENCH_REQUESTS requests of that case with loadgen,
# and dumps the counters (callgrind_control --dump). The dump's total divided by the requests is
# the instructions per request, with every thread of the server counted (the workers, the
# blocking pool, the outbox sender and the metrics upkeep alike). Before each case the outbox has
# sent the mail of the leads before it, and the lead case is dumped once its own mail is written,
# so each case counts its own background work and none of another's. Prints a table with the ratio.
#
# Knobs (environment):
#   BENCH_REQUESTS        requests per case            (default 2000)
#   BENCH_WARM            warm-up leads                (default 300)
#   BENCH_BACKENDS        "sqlite postgres" or one     (default sqlite)
#   BENCH_SIDES           settings of each side, ";"-separated NAME=VALUE lists
#                         (default: metrics off, metrics on); an entry WEB=PATH runs that
#                         binary on this side instead (an older build, side by side)
#   BENCH_OUT             also write the report to this file
#   BENCH_KEEP            copy the callgrind dumps into this directory (for callgrind_annotate)
#   CARGO_TARGET_DIR      where cargo builds (default ./target)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

REQUESTS=${BENCH_REQUESTS:-2000}
WARM=${BENCH_WARM:-300}
BACKENDS=${BENCH_BACKENDS:-sqlite}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
IFS=';' read -r -a SIDES <<<"${BENCH_SIDES:-WETECH__OBSERVABILITY__METRICS_ADDR=;WETECH__OBSERVABILITY__METRICS_ADDR=127.0.0.1:0}"

command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
    { echo "valgrind (with callgrind_control) is needed" >&2; exit 1; }

say() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d -t wetech-bench-instr-XXXXXX)
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

# The instructions (Ir) a callgrind dump file counted.
instructions() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# mail_quiet DIR: waits (at most 300 s) until the number of files in DIR has not changed for 3 s.
mail_quiet() {
    local last=-1 same=0 now
    for _ in $(seq 1 300); do
        now=$(find "$1" -type f 2>/dev/null | wc -l)
        if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
        [ "$same" -ge 3 ] && return 0
        last=$now
        sleep 1
    done
    echo "the outbox was still writing mail to $1 after 300 s" >&2
}

# measure BACKEND SIDE_NUMBER: one server under callgrind; appends "backend side case Ir/request".
measure() {
    local backend=$1 n=$2 entries settings=() web=$WEB entry
    read -r -a entries <<<"${SIDES[$n]//,/ }"
    for entry in "${entries[@]}"; do
        case "$entry" in WEB=*) web=${entry#WEB=} ;; *) settings+=("$entry") ;; esac
    done
    local dir=$WORK/$backend-$n
    mkdir -p "$dir/logs" "$dir/media" "$dir/mail"
    new_database "$backend" "$dir"
    local port
    port=$("$LOADGEN" free-port)
    (cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" \
        WETECH__SERVER__HOST=127.0.0.1 WETECH__SERVER__PORT="$port" \
        WETECH__DATABASE__URL="$DB_URL" WETECH__LOG__DIR="$dir/logs" WETECH__LOG__LEVEL=warn \
        WETECH__STORAGE__MEDIA_DIR="$dir/media" WETECH__MAIL__DIR="$dir/mail" \
        WETECH__MAIL__STAFF_TO=office@example.com \
        WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE=1000000000 \
        ${settings[@]+"${settings[@]}"} \
        valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
        "$web" >"$dir/stdout.log" 2>"$dir/stderr.log") &
    SERVER_PID=$!
    local common=(--url "http://127.0.0.1:$port" --connections 4
        --duration 3600 --warm-up 0 --ready-timeout 300 --timeout 60)
    say "$backend, side $n (${SIDES[$n]:-defaults}): warming up with $WARM leads"
    "$LOADGEN" run "${common[@]}" --cases leads --requests "$WARM" >/dev/null
    # The subshell exec'd env, which exec'd valgrind, which runs the server in the same process:
    # SERVER_PID is what callgrind_control talks to.
    local vg=$SERVER_PID
    for case in leads invoices; do
        # The outbox sender works off the mail of earlier leads in the background: let it finish
        # first, so a case counts its own work only.
        mail_quiet "$dir/mail"
        callgrind_control --zero "$vg" >/dev/null
        local before
        before=$(ls "$dir"/callgrind.out* 2>/dev/null | wc -l)
        "$LOADGEN" run "${common[@]}" --cases "$case" --requests "$REQUESTS" --warm-up-leads 1 \
            --first-user $((1000000 + RANDOM * 10)) >/dev/null
        # A lead's e-mails are part of its cost: counted once they are written.
        if [ "$case" = leads ]; then mail_quiet "$dir/mail"; fi
        callgrind_control --dump="$case" "$vg" >/dev/null
        local file
        for _ in $(seq 1 100); do
            file=$(ls -t "$dir"/callgrind.out.* 2>/dev/null | head -1 || true)
            [ "$(ls "$dir"/callgrind.out* 2>/dev/null | wc -l)" -gt "$before" ] && break
            sleep 0.1
        done
        local ir
        ir=$(instructions "$file")
        printf '%s %s %s %s\n' "$backend" "$n" "$case" "$((ir / REQUESTS))" | tee -a "$WORK/rows" >&2
        if [ -n "${BENCH_KEEP:-}" ]; then
            mkdir -p "$BENCH_KEEP"
            cp "$file" "$BENCH_KEEP/callgrind.$backend.side$n.$case"
        fi
    done
    stop_server
}

say "building the release binaries (web, loadgen)"
cargo build --release --bin web
cargo build --release -p wetech-loadgen --bin loadgen
WEB=$TARGET_DIR/release/web
LOADGEN=$TARGET_DIR/release/loadgen

case " $BACKENDS " in *" postgres "*) start_postgres || BACKENDS=${BACKENDS//postgres/} ;; esac
for backend in $BACKENDS; do
    for n in "${!SIDES[@]}"; do measure "$backend" "$n"; done
done

{
    echo
    echo "### Instructions per request, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "callgrind, $REQUESTS requests a case over 4 connections after $WARM warm-up leads; every thread of the server counted."
    echo
    printf '| database | case |'
    for n in "${!SIDES[@]}"; do printf ' side %s: `%s` |' "$n" "${SIDES[$n]:-defaults}"; done
    printf ' last ÷ first |\n|---|---|'
    for _ in "${SIDES[@]}"; do printf -- '--:|'; done
    printf -- '--:|\n'
    for backend in $BACKENDS; do
        for case in leads invoices; do
            printf '| %s | %s |' "$backend" "$case"
            first="" last=""
            for n in "${!SIDES[@]}"; do
                v=$(awk -v b="$backend" -v s="$n" -v c="$case" '$1 == b && $2 == s && $3 == c {print $4}' "$WORK/rows")
                printf ' %s |' "$v"
                [ -z "$first" ] && first=$v
                last=$v
            done
            awk -v a="$first" -v b="$last" 'BEGIN {printf " %.1f %% |\n", 100 * b / a}'
        done
    done
} | tee "${BENCH_OUT:-/dev/null}"
