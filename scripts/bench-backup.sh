#!/usr/bin/env bash
# Backup benchmark (docs/benchmarks.md, "Backup").
#
# 1. Builds a ~1 GiB wetech SQLite database (the real schema, migrated by `ops migrate`, plus a
#    table of random 1000-byte blobs made with the sqlite3 shell), in WAL mode like production.
# 2. Backs it up RUNS times, alternating: `ops backup --keep 1000` (online backup API, integrity
#    check, row counts, SHA-256, fsync, rename; nothing old to delete, so it makes one backup as
#    `.backup` does) / the sqlite3 shell's `.backup` (online backup API) / the shell's bare
#    `VACUUM INTO` (no verification, no fsync), and prints the medians and the `ops --json backup`
#    step timings of the last run; then one `ops backup --keep 1` to time deleting the RUNS older
#    backups (retention). Target: ops ≤ 1.2 × .backup.
# 3. If the `web` binary is built: lead-submission latency (POST /api/v1/leads, 4 clients, 10 requests
#    a second each), ROUNDS times alternating LOAD_SECONDS without a backup and LOAD_SECONDS of
#    back-to-back `ops backup --keep 1` runs; prints p50 / p99 of each period and the medians of
#    the p99s. Target: p99 during a backup ≤ 2 × p99 without.
#
# Usage: scripts/bench-backup.sh
# Environment: SIZE_MIB (1024), RUNS (3), WORK (/var/tmp/wetech-bench-backup, on disk, not tmpfs),
#   BIN_DIR (default $CARGO_TARGET_DIR/release or target/release), SKIP_BUILD=1 to use built binaries,
#   KEEP_WORK=1 to keep the database afterwards, LOAD_SECONDS (15), ROUNDS (3),
#   QUIESCE_SECONDS (1): pause after the sync before each timed run, LATENCY_ONLY=1 to skip part 2, OPS_PREFIX to run the backups under load with a prefix, e.g. "nice -n 10" as the systemd unit does.
# Needs: sqlite3, python3, curl (for the latency part), a release build (made here unless SKIP_BUILD=1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-db.sh
. "$ROOT/scripts/bench-db.sh"
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
WORK=${WORK:-/var/tmp/wetech-bench-backup}
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
LOAD_SECONDS=${LOAD_SECONDS:-15}
ROUNDS=${ROUNDS:-3}
OPS="$BIN_DIR/ops"
WEB="$BIN_DIR/web"

for tool in sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "bench-backup: $tool is required" >&2; exit 2; }
done

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build --release --bin ops --bin web)
fi
[[ -x "$OPS" ]] || { echo "bench-backup: $OPS not found (build it or set BIN_DIR)" >&2; exit 2; }

WEB_PID=""
cleanup() {
  if [[ -n "$WEB_PID" ]]; then kill "$WEB_PID" 2>/dev/null || true; wait "$WEB_PID" 2>/dev/null || true; fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK/media"
DB="$WORK/data/wetech.sqlite3"
CFG="$WORK/wetech.toml"
cat >"$CFG" <<EOF
[database]
url = "sqlite://$DB"
[log]
dir = "$WORK/logs"
[storage]
media_dir = "$WORK/media"
[backup]
dir = "$WORK/backups"
keep = 1
EOF

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Each timed run starts on a quiet disk: the previous run's file deletions (ext4 journal commits,
# discards) and leftover writeback must not land in the next one's time.
quiesce() { sync; sleep "${QUIESCE_SECONDS:-1}"; }
# How the last N (1) ops backups wrote their files out: MiB written fast (nobody else syncing to the disk)
# and gently (others syncing), from its log line.
pace_of_last() {
  grep -h '"backup written out' "$WORK/logs/app.log" 2>/dev/null | tail -n "${1:-1}" | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
fast = sum(d.get("fast_bytes", 0) for d in lines) >> 20
gentle = sum(d.get("gentle_bytes", 0) for d in lines) >> 20
print("written fast %d MiB, gently %d MiB" % (fast, gentle))'
}
ms() { awk -v ns="$1" 'BEGIN {printf "%.0f", ns/1e6}'; }

echo "== building a ${SIZE_MIB} MiB database in $WORK"
"$OPS" --config "$CFG" migrate >/dev/null
t0=$(now_ns)
ROWS=$(bench_fill_db "$DB" "$SIZE_MIB")
echo "   $(du -m "$DB" | cut -f1) MiB, $ROWS blob rows, made in $(( ($(now_ns) - t0) / 1000000 )) ms"
sync  # the database was written without syncs; its writeback must not overlap the measurements

if [[ "${LATENCY_ONLY:-0}" == 1 ]]; then RUNS=0; fi
echo "== backing up, $RUNS runs each (alternating)"
: >"$WORK/ops.ns"; : >"$WORK/shell.ns"; : >"$WORK/vacuum.ns"; : >"$WORK/verify.ns"
for run in $(seq 1 "$RUNS"); do
  # --keep 1000: nothing to delete, so the run does what .backup does (make one backup) plus
  # the checks; deleting old backups is timed separately below.
  quiesce
  t0=$(now_ns); "$OPS" --config "$CFG" --json backup --keep 1000 >"$WORK/ops.json"; t1=$(now_ns)
  echo $(( t1 - t0 )) >>"$WORK/ops.ns"
  pace=$(pace_of_last)
  path=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$WORK/ops.json")
  t0=$(now_ns); "$OPS" backup verify "$path" >/dev/null; t1=$(now_ns)
  echo $(( t1 - t0 )) >>"$WORK/verify.ns"

  rm -f "$WORK/shell.sqlite3"; quiesce
  t0=$(now_ns); sqlite3 "$DB" ".backup '$WORK/shell.sqlite3'"; t1=$(now_ns)
  echo $(( t1 - t0 )) >>"$WORK/shell.ns"
  rm -f "$WORK/shell.sqlite3"

  rm -f "$WORK/vacuum.sqlite3"; quiesce
  t0=$(now_ns); sqlite3 "$DB" "VACUUM INTO '$WORK/vacuum.sqlite3'"; t1=$(now_ns)
  echo $(( t1 - t0 )) >>"$WORK/vacuum.ns"
  rm -f "$WORK/vacuum.sqlite3"
  echo "   run $run: ops backup $(ms "$(tail -n1 "$WORK/ops.ns")") ms ($pace), .backup $(ms "$(tail -n1 "$WORK/shell.ns")") ms, VACUUM INTO $(ms "$(tail -n1 "$WORK/vacuum.ns")") ms, ops backup verify $(ms "$(tail -n1 "$WORK/verify.ns")") ms"
done
if (( RUNS > 0 )); then
python3 - "$WORK/ops.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["timings"]
print("   last ops backup: " + ", ".join(f"{k[:-3]} {v} ms" for k, v in t.items()))
PY
# Retention: one more backup with --keep 1 deletes the RUNS earlier ones; its own timing says
# how long the deleting took.
"$OPS" --config "$CFG" --json backup --keep 1 >"$WORK/ops-keep1.json"
python3 - "$WORK/ops-keep1.json" "$RUNS" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["timings"]
print(f"   retention (deleting {sys.argv[2]} backups of 1 GiB with --keep 1): {t.get('retention_ms', '?')} ms")
PY
OPS_MED=$(median <"$WORK/ops.ns"); SHELL_MED=$(median <"$WORK/shell.ns")
VAC_MED=$(median <"$WORK/vacuum.ns"); VERIFY_MED=$(median <"$WORK/verify.ns")
echo "   median: ops backup $(ms "$OPS_MED") ms | sqlite3 .backup $(ms "$SHELL_MED") ms | sqlite3 VACUUM INTO $(ms "$VAC_MED") ms | ops backup verify $(ms "$VERIFY_MED") ms"
awk -v o="$OPS_MED" -v s="$SHELL_MED" 'BEGIN {r=o/s; printf "   ops backup / .backup = %.2f (target <= 1.20: %s)\n", r, (r <= 1.2 ? "met" : "NOT met")}'
# Each run's own ratio (the two ran a few seconds apart, on the same disk weather); their
# median and range say more than the ratio of the medians when the disk slows down mid-run.
PAIRED=$(paste "$WORK/ops.ns" "$WORK/shell.ns" | awk '{printf "%.2f\n", $1/$2}' | sort -n)
echo "   per-run ratios: $(echo $PAIRED) (median $(echo "$PAIRED" | median))"
fi

if [[ ! -x "$WEB" ]]; then
  echo "== lead latency: skipped ($WEB is not built)"
  exit 0
fi
command -v curl >/dev/null || { echo "== lead latency: skipped (no curl)"; exit 0; }

echo "== lead submissions without and during a backup"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WETECH__SERVER__PORT=$PORT WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE=100000000 \
  "$WEB" --config "$CFG" >"$WORK/web.out" 2>&1 &
WEB_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health/ready/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/health/ready/" >/dev/null || { echo "web did not become ready; see $WORK/web.out" >&2; exit 1; }

cat >"$WORK/load.py" <<'EOF'
"""Paced lead submissions: CLIENTS threads, each POSTing every 1/RATE s, until DURATION s passed
or STOPFILE exists; only requests started after STARTFILE exists count (when one is named).
Prints count, errors, p50, p99 (ms)."""
import http.client, json, os, sys, threading, time
port, tag, duration, stopfile, startfile = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
CLIENTS, RATE = 4, 10.0
lat, errors, lock = [], [0], threading.Lock()
start = time.monotonic()
def done():
    return (duration > 0 and time.monotonic() - start >= duration) or (stopfile and os.path.exists(stopfile))
def client(i):
    conn, n = http.client.HTTPConnection("127.0.0.1", port, timeout=30), 0
    while not done():
        body = json.dumps({"name": "Bench Client", "email": f"bench-{tag}-{i}-{n}@example.com",
                           "phone": "+255712345678", "service": "WEB-BASIC", "message": "benchmark"})
        counted = not startfile or os.path.exists(startfile)
        t = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/leads", body, {"Content-Type": "application/json"})
            r = conn.getresponse(); r.read(); ok = r.status == 201
        except Exception:
            conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30); ok = False
        dt = time.perf_counter() - t
        if counted:
            with lock:
                lat.append(dt)
                if not ok: errors[0] += 1
        n += 1
        time.sleep(max(0.0, 1.0 / RATE - dt))
threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
for t in threads: t.start()
for t in threads: t.join()
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print(f"{len(lat)} {errors[0]} {pct(0.50):.1f} {pct(0.99):.1f}")
EOF

# ROUNDS alternating periods (without, then during back-to-back backups), so both see the same
# background load; the medians of the per-period p99s are compared.
: >"$WORK/base.p99"; : >"$WORK/during.p99"
for round in $(seq 1 "$ROUNDS"); do
  read -r base_n base_err base_p50 base_p99 < <(python3 "$WORK/load.py" "$PORT" "base$round" "$LOAD_SECONDS" "" "")
  START="$WORK/start"; STOP="$WORK/stop"; rm -f "$START" "$STOP"
  python3 "$WORK/load.py" "$PORT" "during$round" 0 "$STOP" "$START" >"$WORK/during.txt" &
  LOAD_PID=$!
  sleep 1
  touch "$START"
  # Back-to-back backups for LOAD_SECONDS (at least one), each deleting the previous one as a
  # scheduled backup deletes the oldest.
  backups=0
  t0=$(now_ns)
  while (( backups == 0 || $(now_ns) - t0 < LOAD_SECONDS * 1000000000 )); do
    ${OPS_PREFIX:-} "$OPS" --config "$CFG" backup --keep "${LATENCY_KEEP:-1}" >/dev/null
    backups=$(( backups + 1 ))
  done
  t1=$(now_ns)
  touch "$STOP"; wait "$LOAD_PID"
  read -r dur_n dur_err dur_p50 dur_p99 <"$WORK/during.txt"
  echo "$base_p99" >>"$WORK/base.p99"; echo "$dur_p99" >>"$WORK/during.p99"
  echo "   round $round: without a backup ($LOAD_SECONDS s): $base_n requests, $base_err errors, p50 $base_p50 ms, p99 $base_p99 ms"
  echo "   round $round: during $backups back-to-back ${OPS_PREFIX:+$OPS_PREFIX }backups ($(ms $(( t1 - t0 ))) ms, $(pace_of_last "$backups")): $dur_n requests, $dur_err errors, p50 $dur_p50 ms, p99 $dur_p99 ms"
done
BASE_P99=$(median <"$WORK/base.p99"); DUR_P99=$(median <"$WORK/during.p99")
echo "   median p99: without $BASE_P99 ms, during $DUR_P99 ms"
awk -v d="$DUR_P99" -v b="$BASE_P99" 'BEGIN {r=d/b; printf "   p99 during / without = %.2f (target <= 2.0: %s)\n", r, (r <= 2.0 ? "met" : "NOT met")}'
