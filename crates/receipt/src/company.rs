//! `company.*` (`WETECH__COMPANY__NAME`, `__ADDRESS`, `__TIN`, `__EMAIL`): who issues receipts.

use serde::Deserialize;

/// The company named on receipts and in e-mails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanySettings {
    /// The company's name (`wetech` unless set).
    pub name: String,
    /// Its postal address, one line (optional).
    pub address: Option<String>,
    /// Its Taxpayer Identification Number (optional).
    pub tin: Option<String>,
    /// The address customers write to (optional).
    pub email: Option<String>,
}

impl Default for CompanySettings {
    fn default() -> Self {
        Self {
            name: "wetech".to_owned(),
            address: None,
            tin: None,
            email: None,
        }
    }
}

/// A `company` value that parsed but cannot go on a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {MAX_CHARS} characters without line breaks or control characters")]
pub struct InvalidCompanySetting {
    key: &'static str,
}

/// The longest value a receipt's header line takes.
pub const MAX_CHARS: usize = 200;

impl InvalidCompanySetting {
    /// The dotted key (`company.name`, …).
    #[must_use]
    pub fn key(&self) -> &'static str {
        self.key
    }
}

impl CompanySettings {
    /// Checks the section: the name present, every value one printable line.
    ///
    /// # Errors
    /// The first bad value, by key.
    pub fn validate(&self) -> Result<(), InvalidCompanySetting> {
        let fields = [
            ("company.name", Some(&self.name)),
            ("company.address", self.address.as_ref()),
            ("company.tin", self.tin.as_ref()),
            ("company.email", self.email.as_ref()),
        ];
        for (key, value) in fields {
            if let Some(v) = value
                && (v.trim().is_empty()
                    || v.chars().count() > MAX_CHARS
                    || v.chars().any(char::is_control))
            {
                return Err(InvalidCompanySetting { key });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_bad_values_are_named() {
        assert_eq!(CompanySettings::default().validate(), Ok(()));
        let bad = CompanySettings {
            tin: Some("123\n456".to_owned()),
            ..CompanySettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().key(), "company.tin");
        let empty = CompanySettings {
            name: " ".to_owned(),
            ..CompanySettings::default()
        };
        assert_eq!(empty.validate().unwrap_err().key(), "company.name");
    }
}
