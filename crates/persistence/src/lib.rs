//! wetech-persistence: where the lead-to-payment service keeps its data, on SQLite (the
//! default, a single file) or PostgreSQL, chosen by the database URL.
//!
//! - [`DatabaseSettings`] → [`connect`] → [`Pool`] of [`DbConnection`]s (SQLite pragmas set per
//!   connection: WAL, `synchronous=FULL`, `busy_timeout`, foreign keys).
//! - [`run_migrations`] applies the embedded migrations of the connection's backend.
//! - [`UnitOfWork::write`] runs a use case in one transaction (`BEGIN IMMEDIATE` on SQLite).
//! - Repository modules ([`services`], [`clients`], [`leads`], [`invoices`], [`attempts`],
//!   [`attempt_history`], [`events`], [`idempotency`], [`app_settings`]; for the back office [`staff`],
//!   [`staff_sessions`], [`login_failures`], [`audit`], [`lead_status`], [`dashboard`]; the
//!   e-mail [`outbox`]; for several instances [`rate_limits`] and [`instance_leases`]) are
//!   plain functions over `&mut DbConnection` with primitive-typed rows; a unique violation is
//!   [`PersistenceError::Conflict`], and state changes are conditional updates returning
//!   whether they won.

mod connection;
mod error;
mod migrations;
pub mod repo;
pub mod schema;
mod settings;
mod time;
mod unit_of_work;

pub use connection::{
    Backend, ConnectError, DbConnection, DbConnectionManager, Pool, PoolConnection,
    PooledConnection, SQLITE_PRAGMAS, TRUSTED_IDLE, connect,
};
pub use error::PersistenceError;
pub use migrations::{
    applied_migrations, migration_names, migration_version, pending_migrations,
    revert_last_migration, run_migrations, run_next_migration,
};
pub use repo::{
    app_settings, attempt_history, attempts, clients, events, idempotency, invoices, leads,
    services,
};
// The back office's repositories (docs/back-office.md).
pub use repo::{audit, dashboard, lead_status, login_failures, refunds, staff, staff_sessions};
pub use repo::{invoice_list, lead_list, search};
// The e-mail outbox (docs/operations.md, "E-mail").
pub use repo::outbox;
// Several instances on one database (docs/operations.md, "Several instances").
pub use repo::{instance_leases, rate_limits};
pub use settings::{
    DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_DATABASE_URL, DEFAULT_POSTGRES_POOL_SIZE,
    DEFAULT_SQLITE_POOL_SIZE, DatabaseSettings, InvalidDatabaseSetting, MAX_POOL_SIZE,
};
pub use time::{now_utc, truncate_to_micros};
pub use unit_of_work::{UnitOfWork, in_savepoint, in_write_transaction};
