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

# Benchmarks: the persistence unit of work against its baseline (criterion)
bench:
    cargo bench -p wetech-persistence

# What CI runs
ci:
    bash .ci/run
