//! The test SMTP server as a process, for the benchmarks (scripts/bench-variants.sh): plain
//! SMTP on a free loopback port, printed on stdout; with `stall` it accepts connections and
//! answers nothing (a hung mail server). Runs until killed.

use wetech_test_smtp::{Security, SmtpSink};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let stall = std::env::args().nth(1).as_deref() == Some("stall");
    let sink = SmtpSink::start(Security::Plain).await;
    sink.stall(stall);
    println!("{}", sink.port());
    std::future::pending::<()>().await;
}
