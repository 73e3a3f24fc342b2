//! `web`: loads settings, installs logging, serves until SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use wetech_runtime::Settings;
use wetech_web::Application;

/// The wetech web site and API.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (also `WETECH_CONFIG`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[actix_web::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("web: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _logs = match wetech_observability::init("wetech-web", &settings.log, std::io::stdout()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("web: cannot set up logging: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut reports = None;
    let result = match Application::build(settings).await {
        Ok(app) => {
            app.error_reports().make_global();
            reports = Some(app.error_reports().clone());
            wetech_web::systemd::ready(app.address());
            app.run_until_stopped().await.map_err(anyhow::Error::from)
        }
        Err(e) => Err(e),
    };
    // Reports still queued go out before the process ends.
    if let Some(reports) = reports {
        reports.flush();
    }
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error.chain = ?e, "web failed");
            eprintln!("web: {e:#}");
            ExitCode::FAILURE
        }
    }
}
