#!/usr/bin/env bash
# Off-site upload benchmark (docs/benchmarks.md, "Off-site upload").
#
# Question: how long does `ops backup` take to upload a 1 GiB backup to an S3-compatible server,
# against an `aws s3 cp`-class upload of the same file to the same server? Target: the ops
# upload (multipart, 16 MiB parts, four in flight) within 1.5 x boto3's `upload_file` (the
# transfer manager behind `aws s3 cp`: 8 MiB parts, ten threads). The check that follows the
# upload (reading the object back and hashing it) is reported beside it, not in the ratio.
#
# 1. Builds a ~1 GiB wetech SQLite database (the real schema from `ops migrate`, plus random
#    1000-byte blobs) and starts moto in server mode (the S3-compatible server the tests use) on
#    a free loopback port, with one bucket.
# 2. RUNS times, alternating: `ops --json backup` with backup.remote set (its `remote.upload_ms`
#    and `remote.check_ms`), then boto3 `upload_file` of that same backup file to another key,
#    timed in the same Python process that talks to moto; then `aws s3 cp` of it when awscli is
#    installed next to boto3. Each object is deleted again (moto keeps objects in memory).
# 3. Prints each run and the medians, and the ratio ops upload / boto3 upload_file.
#
# Usage: scripts/bench-offsite.sh
# Environment: SIZE_MIB (1024), RUNS (3), WORK (/var/tmp/wetech-bench-offsite, on disk),
#   BIN_DIR (default $CARGO_TARGET_DIR/release or target/release), SKIP_BUILD=1 to use built
#   binaries, KEEP_WORK=1 to keep the files afterwards, MOTO_PYTHON (the interpreter with moto:
#   default the virtualenv .ci/run installs, ~/.cache/wetech-moto/bin/python).
# Needs: sqlite3, python3 with moto[server] (see .ci/run), a release build (made here unless
#   SKIP_BUILD=1). Sends traffic to 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-db.sh
. "$ROOT/scripts/bench-db.sh"
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
WORK=${WORK:-/var/tmp/wetech-bench-offsite}
BIN_DIR=${BIN_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
MOTO_PYTHON=${MOTO_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/wetech-moto/bin/python}
OPS="$BIN_DIR/ops"
BUCKET=wetech-bench

command -v sqlite3 >/dev/null || { echo "bench-offsite: sqlite3 is required" >&2; exit 2; }
"$MOTO_PYTHON" -c 'import moto.server, boto3' 2>/dev/null || {
  echo "bench-offsite: $MOTO_PYTHON cannot import moto (python3 -m venv ~/.cache/wetech-moto && ~/.cache/wetech-moto/bin/pip install 'moto[server]')" >&2
  exit 2
}
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$ROOT" && cargo build --release --bin ops)
fi
[[ -x "$OPS" ]] || { echo "bench-offsite: $OPS not found (build it or set BIN_DIR)" >&2; exit 2; }

MOTO_PID=""
cleanup() {
  if [[ -n "$MOTO_PID" ]]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK/media"
PORT=$("$MOTO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT="http://127.0.0.1:$PORT"
"$MOTO_PYTHON" -m moto.server -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
# moto accepts any key when it does not check signatures; both clients still sign every request.
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
"$MOTO_PYTHON" - "$ENDPOINT" "$BUCKET" <<'PY'
import sys, time, urllib.request, boto3
endpoint, bucket = sys.argv[1:3]
for _ in range(200):
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).read()
        break
    except Exception:
        time.sleep(0.05)
boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
PY

DB="$WORK/data/wetech.sqlite3"
CFG="$WORK/wetech.toml"
cat >"$CFG" <<TOML
[database]
url = "sqlite://$DB"
[log]
dir = "$WORK/logs"
[storage]
media_dir = "$WORK/media"
[backup]
dir = "$WORK/backups"
keep = 1
[backup.remote]
url = "s3://$BUCKET/ops"
endpoint = "$ENDPOINT"
access_key_id = "$AWS_ACCESS_KEY_ID"
secret_access_key = "$AWS_SECRET_ACCESS_KEY"
keep = 1
TOML

echo "== building a ${SIZE_MIB} MiB database in $WORK"
"$OPS" --config "$CFG" migrate >/dev/null
bench_fill_db "$DB" "$SIZE_MIB" >/dev/null
echo "   $(du -m "$DB" | cut -f1) MiB"
sync

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$WORK/ops_upload.ms"; : >"$WORK/ops_check.ms"; : >"$WORK/boto3.ms"; : >"$WORK/awscli.ms"
echo "== uploading, $RUNS runs each (alternating)"
for run in $(seq 1 "$RUNS"); do
  sync; sleep 1
  "$OPS" --config "$CFG" --json backup >"$WORK/ops.json"
  read -r path size upload_ms check_ms < <("$MOTO_PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["remote"]
print(j["path"], j["size_bytes"], r["upload_ms"], r["check_ms"])' "$WORK/ops.json")
  echo "$upload_ms" >>"$WORK/ops_upload.ms"; echo "$check_ms" >>"$WORK/ops_check.ms"
  sync; sleep 1
  boto3_ms=$("$MOTO_PYTHON" - "$ENDPOINT" "$BUCKET" "$path" <<'PY'
import sys, time, boto3
endpoint, bucket, path = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint)
t0 = time.monotonic()
s3.upload_file(path, bucket, "boto3/backup")   # default TransferConfig, as `aws s3 cp`
print(round((time.monotonic() - t0) * 1000))
s3.delete_object(Bucket=bucket, Key="boto3/backup")
PY
)
  echo "$boto3_ms" >>"$WORK/boto3.ms"
  aws_note=""
  if "$MOTO_PYTHON" -c 'import awscli' 2>/dev/null; then
    sync; sleep 1
    t0=$(date +%s%N)
    "$MOTO_PYTHON" -m awscli s3 cp --only-show-errors --endpoint-url "$ENDPOINT" "$path" "s3://$BUCKET/awscli/backup"
    aws_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "$aws_ms" >>"$WORK/awscli.ms"
    "$MOTO_PYTHON" -m awscli s3 rm --only-show-errors --endpoint-url "$ENDPOINT" "s3://$BUCKET/awscli/backup"
    aws_note=", aws s3 cp $aws_ms ms"
  fi
  echo "   run $run: $(( size >> 20 )) MiB; ops upload $upload_ms ms (then its read-back check $check_ms ms), boto3 upload_file $boto3_ms ms$aws_note"
done
OPS_MED=$(median <"$WORK/ops_upload.ms"); CHECK_MED=$(median <"$WORK/ops_check.ms")
BOTO_MED=$(median <"$WORK/boto3.ms")
echo "   median: ops upload $OPS_MED ms | ops check $CHECK_MED ms | boto3 upload_file $BOTO_MED ms"
if [[ -s "$WORK/awscli.ms" ]]; then echo "   median: aws s3 cp $(median <"$WORK/awscli.ms") ms"; fi
awk -v a="$OPS_MED" -v b="$BOTO_MED" -v c="$CHECK_MED" 'BEGIN {
  printf "   ratio ops upload / boto3 upload_file: %.2f (target <= 1.5); with the check: %.2f\n", a / b, (a + c) / b }'
