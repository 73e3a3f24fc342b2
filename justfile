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
# runs the persistence baseline it is compared with, then the backup benchmark
bench:
    bash scripts/bench-http.sh
    bash scripts/bench-backup.sh

# Only the persistence unit of work against its baseline (criterion)
bench-persistence:
    cargo bench -p wetech-persistence

# What CI runs
ci:
    bash .ci/run
