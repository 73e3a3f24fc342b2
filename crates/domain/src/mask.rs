//! How personal values show in logs: [`EmailAddress::masked`] and [`PhoneNumber::masked`].
//!
//! The values are already parsed, so masking cannot meet a malformed input: an address keeps the
//! first character of its local part (when that is a letter or digit and the local part is longer
//! than one character) and its domain; a phone number keeps `+`, its country's calling code and its
//! last three digits. `Display` and `Debug` both print the masked form, so `%` and `?` in a tracing
//! macro are equally safe.

use std::fmt;

use crate::{EmailAddress, PhoneNumber};

/// What replaces the hidden part of an e-mail address.
const HIDDEN: &str = "***";
/// Digits of a phone number shown at its end.
const PHONE_TAIL: usize = 3;

/// An e-mail address that displays masked, e.g. `j***@example.co.tz`.
#[derive(Clone, Copy)]
pub struct MaskedEmail<'a>(&'a EmailAddress);

/// A phone number that displays masked, e.g. `+255******456`.
#[derive(Clone, Copy)]
pub struct MaskedPhone<'a>(&'a PhoneNumber);

impl EmailAddress {
    /// This address as it may appear in a log line.
    ///
    /// ```
    /// use wetech_domain::EmailAddress;
    /// let email = EmailAddress::parse("juma.ali@example.co.tz").unwrap();
    /// assert_eq!(email.masked().to_string(), "j***@example.co.tz");
    /// let short = EmailAddress::parse("x@example.com").unwrap();
    /// assert_eq!(format!("{:?}", short.masked()), "***@example.com");
    /// ```
    #[must_use]
    pub fn masked(&self) -> MaskedEmail<'_> {
        MaskedEmail(self)
    }
}

impl PhoneNumber {
    /// This number as it may appear in a log line.
    ///
    /// ```
    /// use wetech_domain::PhoneNumber;
    /// let phone = PhoneNumber::parse("0754 123 456").unwrap();
    /// assert_eq!(phone.masked().to_string(), "+255******456");
    /// ```
    #[must_use]
    pub fn masked(&self) -> MaskedPhone<'_> {
        MaskedPhone(self)
    }
}

impl fmt::Display for MaskedEmail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut local = self.0.local_part().chars();
        let first = local.next().filter(|c| c.is_alphanumeric());
        if let (Some(first), Some(_)) = (first, local.next()) {
            write!(f, "{first}")?;
        }
        write!(f, "{HIDDEN}@{}", self.0.domain())
    }
}

impl fmt::Display for MaskedPhone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.0.country().calling_code();
        // `msisdn` is ASCII digits only, so byte offsets are character offsets.
        let digits = self.0.msisdn();
        let national = digits.get(code.len()..).unwrap_or_default();
        let hidden = national.len().saturating_sub(PHONE_TAIL);
        let tail = national.get(hidden..).unwrap_or_default();
        write!(f, "+{code}{}{tail}", "*".repeat(hidden))
    }
}

impl fmt::Debug for MaskedEmail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for MaskedPhone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_table() {
        for (input, masked) in [
            ("juma.ali@example.co.tz", "j***@example.co.tz"),
            ("Juma@Example.COM", "J***@example.com"),
            ("ab@x.io", "a***@x.io"),
            ("a@x.io", "***@x.io"),
            ("_hidden@x.io", "***@x.io"),
        ] {
            let email = EmailAddress::parse(input).unwrap();
            assert_eq!(email.masked().to_string(), masked, "{input}");
        }
    }

    #[test]
    fn phone_table() {
        for (input, masked) in [
            ("+255754123456", "+255******456"),
            ("0754123456", "+255******456"),
            ("+254712345678", "+254******678"),
            ("256712345678", "+256******678"),
        ] {
            let phone = PhoneNumber::parse(input).unwrap();
            assert_eq!(phone.masked().to_string(), masked, "{input}");
        }
    }

    proptest! {
        #[test]
        fn a_masked_phone_hides_the_subscriber(national in "7[0-9]{8}") {
            let phone = PhoneNumber::parse(&format!("+255{national}")).unwrap();
            let shown = phone.masked().to_string();
            prop_assert_eq!(shown.len(), phone.as_str().len());
            prop_assert!(shown.starts_with("+255******"));
            prop_assert!(!shown.contains(&national[..6]));
        }

        #[test]
        fn a_masked_email_hides_the_local_part(local in "[a-z][a-z0-9]{3,20}") {
            let email = EmailAddress::parse(&format!("{local}@example.co.tz")).unwrap();
            let shown = email.masked().to_string();
            prop_assert!(!shown.contains(&local[1..]));
            prop_assert!(shown.ends_with("***@example.co.tz"));
        }
    }
}
