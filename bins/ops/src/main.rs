//! `ops`: the wetech operations command line. See `ops --help` and docs/operations.md.

fn main() -> std::process::ExitCode {
    wetech_ops_cli::run(std::env::args_os())
}
