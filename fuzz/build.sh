#!/usr/bin/env bash
# Builds the libFuzzer binaries on the stable toolchain (fuzz/README.md): the coverage
# instrumentation cargo-fuzz would add, passed by hand. `--target` keeps these flags off build
# scripts and proc macros. The binaries land in $CARGO_TARGET_DIR (default fuzz/target) under
# x86_64-unknown-linux-gnu/release/.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cdebug-assertions -Coverflow-checks"
exec cargo build --release --features libfuzzer --target x86_64-unknown-linux-gnu "$@"
