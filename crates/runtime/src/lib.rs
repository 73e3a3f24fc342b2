//! wetech-runtime: the composition both binaries share. It reads the whole [`Settings`] (every
//! crate's section, layered and validated), opens and migrates the database, builds the enabled
//! gateway clients and the health context. The library crates below it know nothing of each
//! other's settings; `web` and `ops` start from here.
//!
//! | module | what |
//! |---|---|
//! | [`settings`] | every setting of both binaries: defaults → TOML file → `WETECH__…` variables |
//! | [`gateways`] | the gateway clients the settings enable |
//! | [`effective`] | the effective configuration, secrets redacted (`ops config show`) |
//! | [`provenance`] | which layer (default, file, environment) set each key |
//! | [`payable`] | which enabled gateway takes a currency |
//! | [`database`] | the pool, opened and migrated at start |
//! | [`health`] | the health checks of `/health/` and `ops healthcheck` for these settings |

pub mod database;
pub mod effective;
pub mod gateways;
pub mod health;
pub mod payable;
pub mod provenance;
pub mod settings;

pub use database::{StartError, open_database};
pub use effective::{Entry, REDACTED};
pub use gateways::{GatewaySetupError, build_gateways, enabled_gateways, simulator_urls};
pub use health::health_context;
pub use payable::{CurrencyCheckError, enabled_gateway_list, gateways_taking};
pub use provenance::{Provenance, Source};
pub use settings::{
    CONFIG_FILE_ENV, DEVELOPMENT_SECRET_KEY, Environment, PaymentsMode, RateLimitStore,
    ServerSettings, Settings, SettingsError,
};
