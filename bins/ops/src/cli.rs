//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// wetech operations: backups, restore, health checks, migrations and the service catalogue.
///
/// Reads the same configuration as `web`: built-in defaults, then the TOML file named by
/// --config or WETECH_CONFIG, then WETECH__SECTION__KEY environment variables.
/// Exit status: 0 success, 1 failure, 2 bad usage.
#[derive(Debug, Parser)]
#[command(
    name = "ops",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// TOML configuration file (default: $WETECH_CONFIG, if set).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print one JSON document on stdout instead of a human summary.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take an online backup (prints its path last), or `backup verify FILE` to check one.
    Backup(BackupArgs),
    /// Replace the database with a backup, keeping the current one as pre-restore-….
    Restore(RestoreArgs),
    /// Run the /health/ checks here (or, with --url, ask a running server); exit 1 on fail.
    Healthcheck(HealthcheckArgs),
    /// Apply pending database migrations and list them.
    Migrate,
    /// List and edit the service catalogue.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Re-check payment attempts open longer than the threshold with the gateway and settle
    /// them as a notification would; prints what changed.
    Reconcile(ReconcileArgs),
    /// Pesapal set-up.
    #[command(subcommand)]
    Pesapal(PesapalCommand),
    /// The back office's staff accounts (passwords are read from standard input, one line).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The e-mail outbox: what waits and what failed, and sending failed messages again.
    #[command(subcommand)]
    Mail(MailCommand),
    /// The configuration in force.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every key's effective value (secrets redacted) and where it came from: default, file or
    /// environment.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Messages waiting, failed and sent, and how long the oldest has waited.
    Status,
    /// Make failed messages wait again (sent by the next sender round): those queued in the
    /// last 7 days, or every failed one with --all.
    Retry {
        /// Every failed message, however old.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Make an account. The password (at least 12 characters) is read from standard input, one
    /// line; it is never an argument, so it stays out of the shell history and `ps`.
    Add {
        /// Their e-mail address (unique in any letter case).
        #[arg(value_name = "EMAIL")]
        email: String,
        /// Their name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// What they may do: staff works the leads; admin also handles money, the catalogue and
        /// the audit log.
        #[arg(long, value_enum, default_value_t = RoleArg::Staff)]
        role: RoleArg,
    },
    /// List every account (never a password or its hash).
    List,
    /// Disable an account and end its sessions at once.
    Disable {
        /// The account's e-mail address.
        #[arg(value_name = "EMAIL")]
        email: String,
    },
    /// Set a new password (from standard input, one line) and end that person's sessions.
    SetPassword {
        /// The account's e-mail address.
        #[arg(value_name = "EMAIL")]
        email: String,
    },
}

/// `--role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Works the leads.
    Staff,
    /// Also refunds, voids, resolves reviews, edits the catalogue, reads the audit log.
    Admin,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Only attempts open for longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub older_than: u64,
}

#[derive(Debug, Subcommand)]
pub enum PesapalCommand {
    /// Find or register the IPN URL (default {public_url}/payments/pesapal/ipn), store its id
    /// and print it.
    RegisterIpn {
        /// The IPN URL to register.
        #[arg(value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// How many of its own backups to keep (default: backup.keep).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub keep: Option<u32>,
    /// Directory to write to (default: backup.dir).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Check that a backup file is sound (exit 0 only then).
    Verify {
        /// The backup file (.sqlite3 or .pgdump).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List the backups in backup.dir (or, with --remote, in backup.remote.url), newest first.
    List {
        /// List the off-site backups in the bucket instead.
        #[arg(long)]
        remote: bool,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore (.sqlite3 or .pgdump); with --remote, the name of a backup
    /// in the bucket (as `ops backup list --remote` shows it).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// FILE names an off-site backup: download it into backup.dir, check its SHA-256 against
    /// its .sha256 in the bucket, then restore it.
    #[arg(long)]
    pub remote: bool,
    /// Really replace the database (without it, ops explains what would happen and exits 2).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Base URL of a running server (http or https); asks its /health/ready/ instead of
    /// checking locally. `/health/ready/` is appended to the URL's path unless the path already
    /// ends with it; a URL with a query (?…) or fragment (#…) is refused (exit 2). A user name
    /// and password in the URL are sent but never printed.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List every service, active or not.
    List,
    /// Create a service or change its name and price (and offer it again if it was disabled).
    Set {
        /// Service code, e.g. WEB-BASIC (A-Z, 0-9 and '-', 2 to 32 characters).
        #[arg(value_name = "CODE")]
        code: String,
        /// Display name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Exact decimal price, e.g. 500000.00 (no separators, no exponent).
        #[arg(long, value_name = "PRICE", allow_negative_numbers = true)]
        price: String,
        /// ISO-4217 currency code, e.g. TZS; one an enabled payment gateway takes (AzamPay: TZS
        /// only), else the command fails naming what each enabled gateway takes.
        #[arg(long, value_name = "CURRENCY")]
        currency: String,
    },
    /// Stop offering a service (issued invoices are unaffected).
    Disable {
        /// Service code.
        #[arg(value_name = "CODE")]
        code: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
