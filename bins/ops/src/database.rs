//! `ops migrate` and `ops catalog list | set | disable`.

use serde::Serialize;
use wetech_domain::{Currency, Money, ServiceCode};
use wetech_ops::catalog::{self, CatalogEntry, ServiceName};
use wetech_persistence::{PooledConnection, connect};
use wetech_runtime::Settings;

use crate::cli::CatalogCommand;
use crate::output;
use crate::{Failure, Outcome};

fn connection(settings: &Settings) -> Result<PooledConnection, Failure> {
    let pool = connect(&settings.database.clone().with_pool_size(1))?;
    Ok(pool.get()?)
}

/// The pool for a command that needs a migrated database (everything but `ops migrate`). A
/// missing SQLite file is reported, never created, and pending migrations are refused; both
/// errors say to run `ops migrate`.
pub(crate) fn migrated_pool(
    database: &wetech_persistence::DatabaseSettings,
) -> Result<wetech_persistence::Pool, Failure> {
    if let Some(path) = database.sqlite_path()
        && !path.as_os_str().to_string_lossy().starts_with("file:")
        && !path.exists()
    {
        return Err(Failure::Failed(anyhow::anyhow!(
            "the SQLite database {} does not exist; run `ops migrate` first to create it",
            path.display()
        )));
    }
    let pool = connect(database)?;
    let mut conn = pool.get()?;
    let pending = wetech_persistence::pending_migrations(&mut conn)?;
    drop(conn);
    if !pending.is_empty() {
        return Err(Failure::Failed(anyhow::anyhow!(
            "the database has {} pending migration(s); run `ops migrate` first",
            pending.len()
        )));
    }
    Ok(pool)
}

#[derive(Serialize)]
struct Migrated {
    /// Applied by this run, oldest first.
    applied: Vec<String>,
    /// Every applied migration afterwards.
    migrations: Vec<String>,
}

/// `ops migrate`: applies pending migrations and lists them.
pub(crate) fn migrate(settings: &Settings, json: bool) -> Outcome {
    let mut conn = connection(settings)?;
    let applied = wetech_persistence::run_migrations(&mut conn)?;
    let migrations = wetech_persistence::applied_migrations(&mut conn)?;
    if json {
        output::print_json(&Migrated {
            applied,
            migrations,
        })?;
    } else if applied.is_empty() {
        outln!(
            "the database is up to date ({} migrations applied)",
            migrations.len()
        );
    } else {
        outln!("applied {} migration(s):", applied.len());
        for name in &applied {
            outln!("  {name}");
        }
    }
    Ok(())
}

/// A catalogue command with its arguments parsed.
#[derive(Debug)]
pub(crate) enum CatalogRequest {
    List,
    Set {
        code: ServiceCode,
        name: ServiceName,
        price: Money,
    },
    Disable {
        code: ServiceCode,
    },
}

impl CatalogRequest {
    /// Parses codes, names and prices exactly; anything malformed is a usage error (exit 2).
    pub(crate) fn parse(command: &CatalogCommand) -> Result<CatalogRequest, Failure> {
        let code = |text: &str| {
            ServiceCode::parse(text)
                .map_err(|e| Failure::Usage(format!("invalid service code {text:?}: {e}")))
        };
        Ok(match command {
            CatalogCommand::List => CatalogRequest::List,
            CatalogCommand::Disable { code: c } => CatalogRequest::Disable { code: code(c)? },
            CatalogCommand::Set {
                code: c,
                name,
                price,
                currency,
            } => {
                let currency = Currency::parse(currency)
                    .map_err(|e| Failure::Usage(format!("invalid --currency {currency:?}: {e}")))?;
                let amount = Money::parse_decimal(price, currency)
                    .map_err(|e| Failure::Usage(format!("invalid --price {price:?}: {e}")))?;
                if amount.is_zero() {
                    return Err(Failure::Usage(format!(
                        "invalid --price {price:?}: must be greater than zero"
                    )));
                }
                CatalogRequest::Set {
                    code: code(c)?,
                    name: ServiceName::parse(name)
                        .map_err(|e| Failure::Usage(format!("invalid --name: {e}")))?,
                    price: amount,
                }
            }
        })
    }
}

/// Runs a parsed catalogue command.
pub(crate) fn catalog(settings: &Settings, request: &CatalogRequest, json: bool) -> Outcome {
    let mut conn = migrated_pool(&settings.database.clone().with_pool_size(1))?.get()?;
    match request {
        CatalogRequest::List => {
            let entries = catalog::list(&mut conn)?;
            if json {
                output::print_json(&entries)?;
            } else {
                print_table(&entries);
            }
        }
        CatalogRequest::Set { code, name, price } => {
            // A price no enabled gateway can take would be offered and then fail at payment.
            wetech_runtime::gateways_taking(settings, price.currency().as_str())?;
            let entry = catalog::set(&mut conn, code, name, *price)?;
            print_entry("set", &entry, json)?;
        }
        CatalogRequest::Disable { code } => {
            let entry = catalog::disable(&mut conn, code)?;
            print_entry("disabled", &entry, json)?;
        }
    }
    Ok(())
}

fn print_entry(verb: &str, e: &CatalogEntry, json: bool) -> Outcome {
    if json {
        output::print_json(e)
    } else {
        let state = if e.active { "active" } else { "disabled" };
        outln!(
            "{verb} {}: {}, {} {} ({state})",
            e.code,
            e.name,
            e.price,
            e.currency
        );
        Ok(())
    }
}

fn print_table(entries: &[CatalogEntry]) {
    let code_w = entries
        .iter()
        .map(|e| e.code.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let name_w = entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let price_w = entries
        .iter()
        .map(|e| e.price.len())
        .max()
        .unwrap_or(5)
        .max(5);
    outln!(
        "{:code_w$}  {:name_w$}  {:>price_w$}  CUR  STATE",
        "CODE",
        "NAME",
        "PRICE"
    );
    for e in entries {
        let state = if e.active { "active" } else { "disabled" };
        outln!(
            "{:code_w$}  {:name_w$}  {:>price_w$}  {}  {state}",
            e.code,
            e.name,
            e.price,
            e.currency
        );
    }
}
