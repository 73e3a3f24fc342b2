//! [`EmailAddress`]: a validated e-mail address, the key that identifies a client.

use crate::text::string_value_impls;

/// The longest address accepted, in bytes (RFC 5321's 254-octet path limit; for the usual ASCII
/// address that is 254 characters).
pub const MAX_EMAIL_LEN: usize = 254;

/// Why a string is not an acceptable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailAddressError {
    /// Nothing but whitespace.
    #[error("e-mail address is empty")]
    Empty,
    /// Longer than [`MAX_EMAIL_LEN`] bytes.
    #[error("e-mail address is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    /// A space or a control character inside the address.
    #[error("e-mail address must not contain spaces or control characters")]
    Whitespace,
    /// No `@`, or a local part in quotes (which we do not accept).
    #[error("e-mail address must look like name@example.com")]
    Shape,
    /// The domain is not a plain host name with a dot, such as `example.co.tz`.
    #[error(
        "e-mail domain must be a host name with a dot, such as example.co.tz \
         (international domains in their xn-- form)"
    )]
    Domain,
    /// The part before the `@` is longer than the 64 bytes RFC 5321 allows.
    #[error("the part of an e-mail address before the @ must be at most 64 characters")]
    LocalPartTooLong,
    /// A character that an unquoted e-mail address cannot contain (such as `<`, `,` or `;`),
    /// or dots in the wrong place.
    #[error("e-mail address contains a character it cannot contain, or a misplaced dot")]
    InvalidCharacter,
}

/// A syntactically valid e-mail address, with its domain lower-cased.
///
/// Rules beyond RFC 5322 syntax: surrounding whitespace is trimmed; at most [`MAX_EMAIL_LEN`]
/// bytes; no spaces or control characters; no display name (`Juma <j@x.tz>`), no quoted local
/// part and no IP-literal domain; the domain is ASCII letters, digits and hyphens in at least two
/// dot-separated labels, the last not all digits. The local part may use any script.
///
/// Clients are identified case-insensitively: use [`EmailAddress::normalized`] as the unique key.
/// Equality of two `EmailAddress` values compares [`EmailAddress::as_str`] (local part as typed).
///
/// ```
/// use wetech_domain::EmailAddress;
/// let e = EmailAddress::parse("  Juma.Ali@Example.CO.TZ ").unwrap();
/// assert_eq!(e.as_str(), "Juma.Ali@example.co.tz");
/// assert_eq!(e.normalized(), "juma.ali@example.co.tz");
/// assert!(EmailAddress::parse("a@b").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    value: String,
    at: usize,
}

impl EmailAddress {
    /// Parses and validates an address (see the type's rules).
    ///
    /// ```
    /// use wetech_domain::{EmailAddress, EmailAddressError};
    /// assert_eq!(EmailAddress::parse("<script>@x.com"), Err(EmailAddressError::InvalidCharacter));
    /// assert_eq!(EmailAddress::parse("juma @x.com"), Err(EmailAddressError::Whitespace));
    /// ```
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailAddressError::Empty);
        }
        if s.len() > MAX_EMAIL_LEN {
            return Err(EmailAddressError::TooLong);
        }
        if s.chars()
            .any(|c| c.is_whitespace() || crate::text::is_forbidden_in_line(c))
        {
            return Err(EmailAddressError::Whitespace);
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(EmailAddressError::Shape);
        };
        if local.starts_with('"') {
            return Err(EmailAddressError::Shape);
        }
        if !is_plain_domain(domain) {
            return Err(EmailAddressError::Domain);
        }
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        email_address::EmailAddress::parse_with_options(s, options).map_err(|e| match e {
            email_address::Error::LocalPartTooLong => EmailAddressError::LocalPartTooLong,
            email_address::Error::InvalidCharacter => EmailAddressError::InvalidCharacter,
            _ => EmailAddressError::Shape,
        })?;
        let value = format!("{local}@{}", domain.to_ascii_lowercase());
        Ok(EmailAddress {
            value,
            at: local.len(),
        })
    }

    /// The address with its domain lower-cased and the local part as typed: the form to send
    /// mail to and to show.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The part before the `@`, as typed.
    ///
    /// ```
    /// # use wetech_domain::EmailAddress;
    /// assert_eq!(EmailAddress::parse("Juma@X.TZ").unwrap().local_part(), "Juma");
    /// ```
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.value.get(..self.at).unwrap_or_default()
    }

    /// The domain, lower-cased.
    ///
    /// ```
    /// # use wetech_domain::EmailAddress;
    /// assert_eq!(EmailAddress::parse("Juma@X.TZ").unwrap().domain(), "x.tz");
    /// ```
    #[must_use]
    pub fn domain(&self) -> &str {
        self.value.get(self.at + 1..).unwrap_or_default()
    }

    /// The whole address lower-cased: the unique key of a client (clients are identified by
    /// e-mail address compared case-insensitively).
    ///
    /// ```
    /// # use wetech_domain::EmailAddress;
    /// let a = EmailAddress::parse("Juma.Ali@Example.CO.TZ").unwrap();
    /// let b = EmailAddress::parse("juma.ali@example.co.tz").unwrap();
    /// assert_ne!(a, b);
    /// assert_eq!(a.normalized(), b.normalized());
    /// ```
    #[must_use]
    pub fn normalized(&self) -> String {
        self.value.to_lowercase()
    }
}

/// ASCII letter-digit-hyphen labels, at least two, none starting or ending with a hyphen, each
/// at most 63 bytes, the last not all digits.
fn is_plain_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

string_value_impls!(EmailAddress, EmailAddressError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_addresses_are_accepted_with_the_domain_lower_cased() {
        for (input, shown, key) in [
            (
                "Juma.Ali@Example.CO.TZ",
                "Juma.Ali@example.co.tz",
                "juma.ali@example.co.tz",
            ),
            (
                "info@wetech.co.tz",
                "info@wetech.co.tz",
                "info@wetech.co.tz",
            ),
            (
                " zuhura+invoices@mail.example.com\t",
                "zuhura+invoices@mail.example.com",
                "zuhura+invoices@mail.example.com",
            ),
            (
                "o'brien@xn--mnchen-3ya.de",
                "o'brien@xn--mnchen-3ya.de",
                "o'brien@xn--mnchen-3ya.de",
            ),
            (
                "Ólafur@Example.is",
                "Ólafur@example.is",
                "ólafur@example.is",
            ),
        ] {
            let e = EmailAddress::parse(input).unwrap();
            assert_eq!(e.as_str(), shown, "{input}");
            assert_eq!(e.normalized(), key, "{input}");
        }
    }

    #[test]
    fn hostile_and_broken_addresses_are_refused() {
        let long_local = format!("{}@example.com", "a".repeat(288));
        let long_domain = format!("juma@{}.com", "a.".repeat(148));
        for input in [
            "",
            "   ",
            "a@b",
            "juma@localhost",
            "<script>@x.com",
            "juma<script>@x.com",
            "\"<script>\"@x.com",
            "\"juma ali\"@x.com",
            "Juma Ali <juma@x.com>",
            "juma@[192.168.0.1]",
            "juma@1.2.3.4",
            "juma@exa_mple.com",
            "juma@-example.com",
            "juma@example..com",
            "juma@.example.com",
            "juma@example.com.",
            ".juma@example.com",
            "juma.@example.com",
            "ju..ma@example.com",
            "juma@@example.com",
            "juma.example.com",
            "@example.com",
            "juma@",
            "juma@ex ample.com",
            "ju\u{0}ma@example.com",
            "juma\n@example.com",
            "juma@exämple.com",
            "ju\u{202E}ma@example.com",
            long_local.as_str(),
            long_domain.as_str(),
        ] {
            assert!(EmailAddress::parse(input).is_err(), "accepted {input:?}");
        }
    }

    #[test]
    fn length_limit_is_254() {
        // 64-byte local part (the RFC maximum) and a domain padding the whole to the limit.
        let local = "a".repeat(64);
        let domain_len = MAX_EMAIL_LEN - 65;
        let labels = "b".repeat(60);
        let mut domain = String::new();
        while domain.len() + 61 < domain_len - 4 {
            domain.push_str(&labels);
            domain.push('.');
        }
        while domain.len() < domain_len - 3 {
            domain.push('c');
        }
        domain.push_str(".tz");
        let ok = format!("{local}@{domain}");
        assert_eq!(ok.len(), 254);
        assert!(EmailAddress::parse(&ok).is_ok());
        let too_long = format!("{local}@d{domain}");
        assert_eq!(
            EmailAddress::parse(&too_long),
            Err(EmailAddressError::TooLong)
        );
        let huge = format!("{}@example.com", "a".repeat(300));
        assert_eq!(EmailAddress::parse(&huge), Err(EmailAddressError::TooLong));
    }

    #[test]
    fn serde_refuses_invalid_values() {
        let e: EmailAddress = serde_json::from_str("\"Juma@X.TZ\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"Juma@x.tz\"");
        assert!(serde_json::from_str::<EmailAddress>("\"a@b\"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("42").is_err());
    }

    fn valid_address() -> impl Strategy<Value = String> {
        (
            "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9_+-]{1,10}){0,2}",
            "[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]{1,10}){0,2}",
            "[A-Za-z]{2,6}",
        )
            .prop_map(|(local, host, tld)| format!("{local}@{host}.{tld}"))
    }

    proptest! {
        #[test]
        fn round_trips(input in valid_address()) {
            let e = EmailAddress::parse(&input).unwrap();
            prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e.clone());
            prop_assert_eq!(e.as_str().to_lowercase(), e.normalized());
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<EmailAddress>(&json).unwrap(), e);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(e) = EmailAddress::parse(&input) {
                prop_assert!(e.as_str().len() <= MAX_EMAIL_LEN);
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }

        #[test]
        fn never_panics_on_huge_input(input in ".{200,3000}") {
            let _ = EmailAddress::parse(&input);
        }
    }
}
