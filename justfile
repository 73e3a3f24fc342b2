# wetech everyday commands. Install just with `cargo install just` (or use the commands shown).

default:
    @just --list

# Run the site on http://127.0.0.1:8000 with the payment simulator
run:
    cargo run --release --bin web

# Run every test (SQLite and a throwaway PostgreSQL)
test:
    cargo test --workspace

# Formatting and lints, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    python3 scripts/check-architecture.py

# Benchmarks (figures and readings in docs/benchmarks.md): the HTTP load benchmark, which also
# runs the persistence baseline it is compared with, then its variants side by side (metrics,
# SMTP stalled, three instances) and the metrics' cost in instructions (callgrind), then the
# backup benchmark, then the
# off-site upload benchmark (against moto, as the tests), the back office on 1 000 000 leads,
# then drawing 1 000 receipts
bench:
    bash scripts/bench-http.sh
    bash scripts/bench-variants.sh
    bash scripts/bench-instructions.sh
    bash scripts/bench-backup.sh
    bash scripts/bench-offsite.sh
    bash scripts/bench-backoffice.sh
    cargo bench -p wetech-receipt

# Only the side-by-side variants: metrics off/on, SMTP up/stalled, one/three instances
bench-variants:
    bash scripts/bench-variants.sh

# Only the back office on 1 000 000 leads: the leads list, page 200, searches and the dashboard
bench-backoffice:
    bash scripts/bench-backoffice.sh

# Only the off-site upload benchmark: a 1 GiB backup's upload against boto3 / aws s3 cp
bench-offsite:
    bash scripts/bench-offsite.sh

# Only the persistence unit of work against its baseline (criterion)
bench-persistence:
    cargo bench -p wetech-persistence

# The soak (not in CI, not in `just bench`): 30 minutes of the mixed load at half its measured
# maximum with a backup every 5 minutes, against RSS growth, p99 drift, errors and leaks
# (docs/benchmarks.md, "Soak"); knobs in scripts/soak.sh, e.g. SOAK_BACKEND=postgres
soak:
    bash scripts/soak.sh

# What CI runs
ci:
    bash .ci/run
