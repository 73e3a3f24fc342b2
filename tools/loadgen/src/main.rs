//! `loadgen`: see `loadgen --help` and scripts/bench-http.sh.

fn main() -> std::process::ExitCode {
    wetech_loadgen::cli::main()
}
