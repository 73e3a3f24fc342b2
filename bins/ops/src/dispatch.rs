//! Parsing the command line and running the chosen command.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{BackupAction, Cli, Command, ConfigCommand, PesapalCommand};
use crate::context::Context;
use crate::failure::{EXIT_USAGE, Outcome};
use crate::{backup, config, database, health, mail, payments, remote, staff};

/// Parses `args` (the first one is the program name), runs the command, and returns the exit
/// status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and --version go to stdout with status 0; usage errors to stderr with status 2.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match dispatch(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

fn dispatch(cli: &Cli) -> Outcome {
    let json = cli.json;
    match &cli.command {
        // A probe of a running server needs no configuration (a container HEALTHCHECK).
        Command::Healthcheck(args) if args.url.is_some() => {
            health::remote(args.url.as_deref().unwrap_or_default(), json)
        }
        Command::Backup(args) => match &args.action {
            // Checking a file needs no configuration either.
            Some(BackupAction::Verify { file }) => backup::verify(file, json),
            Some(BackupAction::List { remote }) => {
                let ctx = Context::load(cli, *remote)?;
                remote::list(&ctx.settings, *remote, json)
            }
            None => {
                let ctx = Context::load(cli, true)?;
                ctx.logged("backup", backup::backup(&ctx.settings, args, json))
            }
        },
        Command::Restore(args) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged("restore", backup::restore(&ctx.settings, args, json))
        }
        Command::Healthcheck(_) => {
            let ctx = Context::load(cli, false)?;
            health::local(&ctx.settings, json)
        }
        Command::Migrate => {
            let ctx = Context::load(cli, true)?;
            ctx.logged("migrate", database::migrate(&ctx.settings, json))
        }
        Command::Reconcile(args) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged(
                "reconcile",
                payments::reconcile(&ctx.settings, args.older_than, json),
            )
        }
        Command::Pesapal(PesapalCommand::RegisterIpn { url }) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged(
                "pesapal register-ipn",
                payments::register_ipn(&ctx.settings, url.as_deref(), json),
            )
        }
        Command::Catalog(command) => {
            // Parse the arguments before touching the database: bad input is a usage error.
            let request = database::CatalogRequest::parse(command)?;
            let ctx = Context::load(cli, true)?;
            ctx.logged("catalog", database::catalog(&ctx.settings, &request, json))
        }
        Command::Staff(command) => {
            // Arguments, then the password from standard input, then the database.
            let request = staff::StaffRequest::parse(command)?;
            let password = staff::password_for(&request, std::io::stdin().lock())?;
            let ctx = Context::load(cli, true)?;
            ctx.logged("staff", staff::run(&ctx.settings, &request, password, json))
        }
        Command::Config(ConfigCommand::Show) => {
            let ctx = Context::load(cli, false)?;
            config::show(&ctx.settings, json)
        }
        Command::Mail(command) => {
            let ctx = Context::load(cli, true)?;
            ctx.logged("mail", mail::run(&ctx.settings, command, json))
        }
    }
}
