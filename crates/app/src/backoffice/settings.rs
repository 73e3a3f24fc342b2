//! The `admin` settings section (owned by this crate, composed by `wetech-runtime`).

use std::time::Duration;

use serde::Deserialize;

/// The longest idle timeout accepted: the absolute session length.
pub const MAX_IDLE_MINUTES: u32 = 12 * 60;

/// `admin.*`: the back office's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// A session unused for longer than this many minutes ends (`WETECH__ADMIN__IDLE_MINUTES`).
    pub idle_minutes: u32,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self { idle_minutes: 30 }
    }
}

/// An `admin` value that parsed but is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be between 1 and {MAX_IDLE_MINUTES} (minutes)")]
pub struct InvalidAdminSetting;

impl InvalidAdminSetting {
    /// The dotted key.
    #[must_use]
    pub fn key(&self) -> &'static str {
        "admin.idle_minutes"
    }
}

impl AdminSettings {
    /// Checks the section.
    ///
    /// # Errors
    /// [`InvalidAdminSetting`] when `idle_minutes` is 0 or longer than a session may last.
    pub fn validate(&self) -> Result<(), InvalidAdminSetting> {
        if (1..=MAX_IDLE_MINUTES).contains(&self.idle_minutes) {
            Ok(())
        } else {
            Err(InvalidAdminSetting)
        }
    }

    /// The idle timeout.
    #[must_use]
    pub fn idle(&self) -> Duration {
        Duration::from_secs(u64::from(self.idle_minutes) * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_half_an_hour_and_the_bounds_hold() {
        assert_eq!(AdminSettings::default().idle(), Duration::from_secs(1800));
        assert!(AdminSettings::default().validate().is_ok());
        assert!(AdminSettings { idle_minutes: 0 }.validate().is_err());
        assert!(AdminSettings { idle_minutes: 720 }.validate().is_ok());
        assert!(AdminSettings { idle_minutes: 721 }.validate().is_err());
    }
}
