#!/usr/bin/env bash
# Checks the units in deploy/systemd the way an operator's machine would: `systemd-analyze verify`
# (syntax, directives, timers naming their service) and `systemd-analyze security` (the exposure
# score; at most 2.5 for every service, docs/operations.md "Hardening"). Both work offline, without a
# running systemd. The binaries are not installed here, so each ExecStart's program is replaced by
# /bin/true in a temporary copy (verify checks that the program exists and is executable).
set -euo pipefail
cd "$(dirname "$0")/.."
max_exposure="${MAX_EXPOSURE:-25}" # tenths: 25 = 2.5
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp deploy/systemd/*.service deploy/systemd/*.timer "$work/"
sed -i -E 's|^ExecStart=/usr/local/bin/[^ ]+|ExecStart=/bin/true|' "$work"/*.service
(cd "$work" && systemd-analyze verify ./*.service ./*.timer)
status=0
for unit in "$work"/*.service; do
  name="$(basename "$unit")"
  line="$(systemd-analyze security --offline=true "$unit" | tail -1)"
  echo "$name: ${line#→ }"
  if ! systemd-analyze security --offline=true --threshold="$max_exposure" "$unit" >/dev/null; then
    echo "$name: exposure above $((max_exposure / 10)).$((max_exposure % 10))" >&2
    status=1
  fi
done
exit "$status"
