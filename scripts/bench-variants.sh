#!/usr/bin/env bash
# Side-by-side variants of the HTTP load (`just bench` runs it; figures in docs/benchmarks.md):
#
#   metrics    the metrics listener off, then on: lead and invoice throughput with metrics on
#              within 5 % of off (issue 15), on SQLite and PostgreSQL;
#   smtp       the SMTP transport to a real SMTP server that is up, then to one that accepts
#              connections and answers nothing: lead p99 the same (issue 14), on both databases;
#   instances  one `web`, then three on one PostgreSQL database (lead rate limit counted in the
#              database for both), connections spread over them in turn (issue 15);
#   ratelimit  the lead rate limit counted in memory, then in the database (one statement a
#              check, what several instances need), on PostgreSQL: its cost (issue 15); each
#              connection from its own loopback address, as many customers would be.
#
# Each pair runs in BENCH_ROUNDS alternating rounds (A B A B ...), each on a fresh database, and
# the medians of the rounds are compared, so a busy moment of this shared machine hits both sides.
# Release builds of `web`, `loadgen` and the test SMTP server (crates/test-smtp/examples).
# Everything it starts is stopped and deleted on exit.
#
# Knobs (environment):
#   BENCH_VARIANTS        which pairs                (default "metrics smtp instances ratelimit")
#   BENCH_BACKENDS        "sqlite postgres" or one of them     (default both; instances: PostgreSQL)
#   BENCH_ROUNDS          rounds per side                      (default 3)
#   BENCH_DURATION_SECS   measured seconds per case            (default 5)
#   BENCH_WARM_UP_SECS    unmeasured seconds before each case  (default 1)
#   BENCH_CONNECTIONS     concurrent connections               (default 32)
#   BENCH_STRICT          1 = exit 1 when a target is missed   (default 0)
#   BENCH_OUT             also write the report to this file
#   WETECH_TEST_POSTGRES_URL  use this PostgreSQL server (databases are created and dropped on it)
#   CARGO_TARGET_DIR      where cargo builds (default ./target)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

VARIANTS=${BENCH_VARIANTS:-metrics smtp instances ratelimit}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION_SECS:-5}
WARM_UP=${BENCH_WARM_UP_SECS:-1}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
STRICT=${BENCH_STRICT:-0}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac

say() { printf '\n== %s\n' "$*" >&2; }

WORK=$(mktemp -d -t wetech-bench-variants-XXXXXX)
SERVER_PID=""
SERVER_PIDS=()
SMTP_PIDS=()
SMTP_PORT=""
PG_DIR=""
PG_BIN=""
PG_ADMIN_URL=""
PG_EXTERNAL=0
PG_DATABASES=()
DB_URL=""

# as_postgres, stop_server, start_postgres, stop_postgres, new_database, psql_admin.
. "$ROOT/scripts/bench-lib.sh"

stop_servers() {
    for pid in "${SERVER_PIDS[@]}"; do
        SERVER_PID=$pid
        stop_server
    done
    SERVER_PIDS=()
}

cleanup() {
    stop_servers
    for pid in "${SMTP_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_postgres
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_smtp [stall]: a test SMTP server in the background; sets SMTP_PORT (not in a subshell:
# it records the process to stop).
start_smtp() {
    local out=$WORK/smtp-$#-$RANDOM.port
    "$SMTP_SINK" "$@" >"$out" &
    SMTP_PIDS+=($!)
    for _ in $(seq 1 100); do
        if [ -s "$out" ]; then SMTP_PORT=$(head -1 "$out"); return 0; fi
        sleep 0.05
    done
    echo "the test SMTP server did not start" >&2
    return 1
}

# start_web DIR PORT [NAME=VALUE ...]: one `web` on DB_URL, in a clean environment.
start_web() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir/logs" "$dir/media" "$dir/mail"
    (cd "$dir" && exec env -i PATH="$PATH" HOME="$dir" \
        WETECH__SERVER__HOST=127.0.0.1 \
        WETECH__SERVER__PORT="$port" \
        WETECH__DATABASE__URL="$DB_URL" \
        WETECH__LOG__DIR="$dir/logs" \
        WETECH__LOG__LEVEL=warn \
        WETECH__STORAGE__MEDIA_DIR="$dir/media" \
        WETECH__MAIL__DIR="$dir/mail" \
        WETECH__MAIL__STAFF_TO=office@example.com \
        WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE=1000000000 \
        WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS=5 \
        WETECH__OBSERVABILITY__METRICS_ADDR= \
        "$@" \
        "$WEB" >"$dir/stdout.log" 2>"$dir/stderr.log") &
    SERVER_PIDS+=($!)
}

wait_ready() {
    local port=$1
    for _ in $(seq 1 300); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready/" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "web on port $port not ready; its stderr:" >&2
    return 1
}

# run_side VARIANT SIDE BACKEND ROUND INSTANCES CASES [NAME=VALUE ...]: one measured run; appends
# a JSON line (label "VARIANT|SIDE|BACKEND") to $WORK/rows.jsonl.
run_side() {
    local variant=$1 side=$2 backend=$3 round=$4 instances=$5 cases=$6
    shift 6
    local dir=$WORK/$variant-$side-$backend-$round
    mkdir -p "$dir"
    new_database "$backend" "$dir"
    local urls=() port
    for i in $(seq 1 "$instances"); do
        port=$("$LOADGEN" free-port)
        start_web "$dir/web$i" "$port" "$@"
        # The first instance migrates the new database; the others start on it afterwards.
        if [ "$i" = 1 ]; then wait_ready "$port" || { tail -20 "$dir/web1/stderr.log" >&2; return 1; }; fi
        urls+=(--url "http://127.0.0.1:$port")
    done
    say "$variant: $side, $backend, round $round ($instances instance(s); load average $(cut -d' ' -f1-3 /proc/loadavg))"
    local rc=0
    "$LOADGEN" run "${urls[@]}" --backend "$backend" --label "$variant|$side|$backend" --cases "$cases" \
        --connections "$CONNECTIONS" --duration "$DURATION" --warm-up "$WARM_UP" \
        --server-pid "${SERVER_PIDS[0]}" --json-row "$WORK/rows.jsonl" ${LOADGEN_EXTRA:-} >"$dir/report.md" || rc=$?
    for pid in "${SERVER_PIDS[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "a web process exited during the run" >&2; rc=1; fi
    done
    stop_servers
    return "$rc"
}

# pair VARIANT BACKEND CASES SIDE_A INSTANCES_A ENV_A SIDE_B INSTANCES_B ENV_B: the rounds, A B A B.
pair() {
    local variant=$1 backend=$2 cases=$3
    local a=$4 na=$5 ea=$6 b=$7 nb=$8 eb=$9
    for round in $(seq 1 "$ROUNDS"); do
        # shellcheck disable=SC2086 # the settings are words on purpose
        run_side "$variant" "$a" "$backend" "$round" "$na" "$cases" $ea || return 1
        # shellcheck disable=SC2086
        run_side "$variant" "$b" "$backend" "$round" "$nb" "$cases" $eb || return 1
    done
}

say "building the release binaries (web, loadgen, the test SMTP server)"
cargo build --release --bin web
cargo build --release -p wetech-loadgen --bin loadgen
cargo build --release -p wetech-test-smtp --example smtp_sink
WEB=$TARGET_DIR/release/web
LOADGEN=$TARGET_DIR/release/loadgen
SMTP_SINK=$TARGET_DIR/release/examples/smtp_sink

PG_OK=0
case " $BACKENDS $VARIANTS " in
    *" postgres "* | *" instances "* | *" ratelimit "*)
        if start_postgres; then PG_OK=1; else echo "!! PostgreSQL unavailable: its variants are left out" >&2; fi
        ;;
esac
backends() {
    for backend in $BACKENDS; do
        if [ "$backend" = postgres ] && [ "$PG_OK" != 1 ]; then continue; fi
        printf '%s\n' "$backend"
    done
}

failed=0
for variant in $VARIANTS; do
    case "$variant" in
        metrics)
            for backend in $(backends); do
                pair metrics "$backend" leads,invoices \
                    off 1 "WETECH__OBSERVABILITY__METRICS_ADDR=" \
                    on 1 "WETECH__OBSERVABILITY__METRICS_ADDR=127.0.0.1:0" || failed=1
            done
            ;;
        smtp)
            start_smtp
            up=$SMTP_PORT
            start_smtp stall
            stalled=$SMTP_PORT
            smtp="WETECH__MAIL__TRANSPORT=smtp WETECH__MAIL__SMTP__HOST=127.0.0.1 WETECH__MAIL__SMTP__TLS=none"
            for backend in $(backends); do
                pair smtp "$backend" leads \
                    up 1 "$smtp WETECH__MAIL__SMTP__PORT=$up" \
                    stalled 1 "$smtp WETECH__MAIL__SMTP__PORT=$stalled" || failed=1
            done
            ;;
        instances)
            if [ "$PG_OK" = 1 ]; then
                pair instances postgres leads,invoices \
                    one 1 "WETECH__SERVER__RATE_LIMIT_STORE=database" \
                    three 3 "WETECH__SERVER__RATE_LIMIT_STORE=database" || failed=1
            fi
            ;;
        ratelimit)
            if [ "$PG_OK" = 1 ]; then
                LOADGEN_EXTRA=--distinct-sources pair ratelimit postgres leads \
                    memory 1 "WETECH__SERVER__RATE_LIMIT_STORE=memory" \
                    database 1 "WETECH__SERVER__RATE_LIMIT_STORE=database" || failed=1
            fi
            ;;
        *) echo "unknown variant $variant (metrics, smtp, instances, ratelimit)" >&2; exit 2 ;;
    esac
done

{
    echo
    echo "### Variants side by side, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "$(nproc) CPUs, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); loadgen and server(s) share the CPUs;" \
        "$CONNECTIONS connections, $DURATION s per case, medians of $ROUNDS alternating rounds."
    echo
    python3 - "$WORK/rows.jsonl" <<'PY'
import json, statistics, sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    variant, side, backend = r["label"].split("|")
    rows[(variant, backend, side)].append(r)

def med(runs, case, key):
    vals = [r["cases"][case][key] for r in runs if case in r["cases"] and r["cases"][case][key] is not None]
    return statistics.median(vals) if vals else None

def rounds(runs, case):
    return " ".join(f"{r['cases'][case]['rps']:.0f}" for r in runs if case in r["cases"])

def errors(runs):
    return sum(c["errors"] for r in runs for c in r["cases"].values())

pairs = {"metrics": ("off", "on"), "smtp": ("up", "stalled"), "instances": ("one", "three"),
         "ratelimit": ("memory", "database")}
missed = 0
print("| variant | database | case | A | B | A req/s | B req/s | B ÷ A | A p99 ms | B p99 ms | errors | target | rounds A / B req/s |")
print("|---|---|---|---|---|--:|--:|--:|--:|--:|--:|---|---|")
for (variant, backend) in sorted({(v, b) for (v, b, _) in rows}):
    a, b = pairs[variant]
    ra, rb = rows[(variant, backend, a)], rows[(variant, backend, b)]
    cases = sorted({c for r in ra + rb for c in r["cases"]})
    for case in cases:
        rps_a, rps_b = med(ra, case, "rps"), med(rb, case, "rps")
        p99_a, p99_b = med(ra, case, "p99_ms"), med(rb, case, "p99_ms")
        ratio = rps_b / rps_a if rps_a and rps_b else None
        errs = errors(ra) + errors(rb)
        if variant == "metrics":
            ok = ratio is not None and ratio >= 0.95 and errs == 0
            target = f"on ≥ 95 % of off: {'met' if ok else 'MISSED'}"
        elif variant == "smtp":
            # "The same": the stalled side's p99 within 20 % (plus 1 ms of timer noise) of the up side's.
            ok = p99_a is not None and p99_b is not None and p99_b <= 1.2 * p99_a + 1.0 and errs == 0
            target = f"stalled p99 ≤ 1.2 × up + 1 ms: {'met' if ok else 'MISSED'}"
        else:
            ok = errs == 0
            target = "reported (no target); 0 errors: " + ("met" if ok else "MISSED")
        missed += not ok
        f = lambda v, d=0: "-" if v is None else f"{v:.{d}f}"
        print(f"| {variant} | {backend} | {case} | {a} | {b} | {f(rps_a)} | {f(rps_b)} | "
              f"{'-' if ratio is None else f'{ratio * 100:.1f} %'} | {f(p99_a, 2)} | {f(p99_b, 2)} | {errs} | {target} | "
              f"{rounds(ra, case)} / {rounds(rb, case)} |")
print()
print("missed: %d" % missed)
PY
} | tee "${BENCH_OUT:-/dev/null}" | tee "$WORK/final.md"

if grep -q '^missed: [1-9]' "$WORK/final.md"; then
    [ "$STRICT" = 1 ] && failed=1
fi
exit "$failed"
