//! [`PhoneNumber`]: an East-African mobile number in E.164 form.
//!
//! See [`PhoneNumber`] for the forms accepted.

use std::fmt;

use crate::text::string_value_impls;

/// The longest input looked at, in bytes, before separators are removed.
const MAX_INPUT_LEN: usize = 40;

/// A country whose mobile numbers are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Country {
    /// Tanzania, +255.
    Tanzania,
    /// Kenya, +254.
    Kenya,
    /// Uganda, +256.
    Uganda,
    /// Rwanda, +250.
    Rwanda,
    /// Burundi, +257.
    Burundi,
}

impl Country {
    /// Every supported country.
    pub const ALL: &'static [Country] = &[
        Country::Tanzania,
        Country::Kenya,
        Country::Uganda,
        Country::Rwanda,
        Country::Burundi,
    ];

    /// The ISO 3166-1 alpha-2 code, e.g. `"TZ"`.
    ///
    /// ```
    /// assert_eq!(wetech_domain::Country::Kenya.iso_code(), "KE");
    /// ```
    #[must_use]
    pub const fn iso_code(self) -> &'static str {
        match self {
            Country::Tanzania => "TZ",
            Country::Kenya => "KE",
            Country::Uganda => "UG",
            Country::Rwanda => "RW",
            Country::Burundi => "BI",
        }
    }

    /// The international calling code without `+`, e.g. `"255"`.
    ///
    /// ```
    /// assert_eq!(wetech_domain::Country::Tanzania.calling_code(), "255");
    /// ```
    #[must_use]
    pub const fn calling_code(self) -> &'static str {
        match self {
            Country::Tanzania => "255",
            Country::Kenya => "254",
            Country::Uganda => "256",
            Country::Rwanda => "250",
            Country::Burundi => "257",
        }
    }

    /// The English name, e.g. `"Tanzania"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Country::Tanzania => "Tanzania",
            Country::Kenya => "Kenya",
            Country::Uganda => "Uganda",
            Country::Rwanda => "Rwanda",
            Country::Burundi => "Burundi",
        }
    }

    /// "Tanzanian", "Kenyan", … for messages.
    const fn adjective(self) -> &'static str {
        match self {
            Country::Tanzania => "Tanzanian",
            Country::Kenya => "Kenyan",
            Country::Uganda => "Ugandan",
            Country::Rwanda => "Rwandan",
            Country::Burundi => "Burundian",
        }
    }

    /// Digits after the calling code in a mobile number.
    const fn national_len(self) -> usize {
        match self {
            Country::Burundi => 8,
            Country::Tanzania | Country::Kenya | Country::Uganda | Country::Rwanda => 9,
        }
    }

    /// The first digits (after the calling code) that mark a mobile number.
    const fn mobile_prefixes(self) -> &'static str {
        match self {
            Country::Tanzania | Country::Burundi => "6 or 7",
            Country::Kenya => "7 or 1",
            Country::Uganda | Country::Rwanda => "7",
        }
    }

    fn is_mobile_start(self, first: u8) -> bool {
        match self {
            Country::Tanzania | Country::Burundi => matches!(first, b'6' | b'7'),
            Country::Kenya => matches!(first, b'7' | b'1'),
            Country::Uganda | Country::Rwanda => first == b'7',
        }
    }

    fn from_calling_code(digits: &str) -> Option<Country> {
        Country::ALL
            .iter()
            .copied()
            .find(|c| digits.starts_with(c.calling_code()))
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a string is not an accepted mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    /// Nothing but whitespace and separators.
    #[error("phone number is empty")]
    Empty,
    /// Far longer than any phone number.
    #[error("phone number is too long")]
    TooLong,
    /// A character other than digits, a leading `+` and the separators `space - . ( )`.
    #[error(
        "phone number may contain only digits, a leading +, spaces, dashes, dots and brackets; found {0:?}"
    )]
    InvalidCharacter(char),
    /// Neither a local `0…` number nor one with a country code.
    #[error(
        "write the mobile number with its leading 0 (0754 123 456) or its country code (+255 754 123 456)"
    )]
    Unrecognised,
    /// An international number from a country we do not serve.
    #[error(
        "only mobile numbers from Tanzania (+255), Kenya (+254), Uganda (+256), Rwanda (+250) and Burundi (+257) are accepted"
    )]
    UnsupportedCountry,
    /// The right country but the wrong number of digits.
    #[error("a {adj} mobile number has {expected} digits after +{code}; this one has {found}", adj = country.adjective(), code = country.calling_code())]
    WrongLength {
        /// The country the number was read as.
        country: Country,
        /// Digits expected after the calling code.
        expected: usize,
        /// Digits found after the calling code.
        found: usize,
    },
    /// A landline or service number rather than a mobile number.
    #[error("not a {adj} mobile number: after +{code} a mobile number starts with {prefixes} (numbers starting with 0 are read as Tanzanian; write other countries' numbers with their country code)", adj = country.adjective(), code = country.calling_code(), prefixes = country.mobile_prefixes())]
    NotMobile {
        /// The country the number was read as.
        country: Country,
    },
}

/// An East-African mobile number in E.164 form (`+2557XXXXXXXX`).
///
/// # Accepted forms
///
/// Separators `' '`, `-`, `.`, `(` and `)` (and no-break spaces) anywhere are ignored.
///
/// | written as | read as |
/// |---|---|
/// | `+255 754 123 456`, `255754123456`, `00255754123456` | Tanzania |
/// | `0754 123 456`, `(0)754123456`, `06…` | Tanzania (see below) |
/// | `+254 712 345 678`, `254…`, `00254…` | Kenya (mobile `7…` and `1…`) |
/// | `+256 772 123 456`, `256…`, `00256…` | Uganda (mobile `7…`) |
/// | `+250 788 123 456`, `250…`, `00250…` | Rwanda (mobile `7…`) |
/// | `+257 79 123 456`, `257…`, `00257…` | Burundi (mobile `6…`, `7…`, 8 digits) |
///
/// **A number written in local form (`0…`) is read as Tanzanian**, the company's home market.
/// Kenyan local numbers (`07…`, `01…`) look exactly like Tanzanian ones, so Kenyan, Ugandan,
/// Rwandan and Burundian numbers are accepted only with their country code (with `+`, `00`, or
/// the bare MSISDN form `2547…` that gateways send back).
///
/// A trunk `0` written after the country code (`+255 (0)754 123 456`, `+2550754123456`) is
/// dropped, as that notation intends. A bare nine-digit number (`754123456`) is refused: it
/// needs its leading `0` or its country code.
///
/// Landlines (Tanzania `022…`), other countries and wrong lengths are refused with an error
/// saying which.
///
/// # Example
///
/// ```
/// use wetech_domain::{Country, PhoneNumber};
/// let p = PhoneNumber::parse("0754 123 456").unwrap();
/// assert_eq!(p.as_str(), "+255754123456");
/// assert_eq!(p.msisdn(), "255754123456");
/// assert_eq!(p.country(), Country::Tanzania);
/// assert!(PhoneNumber::parse("0222 123 456").is_err()); // a Dar es Salaam landline
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    country: Country,
}

impl PhoneNumber {
    /// Parses a mobile number written in any of the accepted forms.
    ///
    /// ```
    /// use wetech_domain::{Country, PhoneNumber, PhoneNumberError};
    /// assert_eq!(PhoneNumber::parse("+254712345678").unwrap().country(), Country::Kenya);
    /// assert_eq!(PhoneNumber::parse("+1 202 555 0100"), Err(PhoneNumberError::UnsupportedCountry));
    /// ```
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let s = input.trim();
        if s.len() > MAX_INPUT_LEN {
            return Err(PhoneNumberError::TooLong);
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' | '\u{202f}' => {}
                other => return Err(PhoneNumberError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(if plus {
                PhoneNumberError::Unrecognised
            } else {
                PhoneNumberError::Empty
            });
        }

        let (country, national) = if plus {
            international(&digits)?
        } else if let Some(after) = digits.strip_prefix("00") {
            international(after)?
        } else if let Some(national) = digits.strip_prefix('0') {
            (Country::Tanzania, national)
        } else if Country::from_calling_code(&digits).is_some() {
            international(&digits)?
        } else {
            return Err(PhoneNumberError::Unrecognised);
        };

        let expected = country.national_len();
        if national.len() != expected {
            return Err(PhoneNumberError::WrongLength {
                country,
                expected,
                found: national.len(),
            });
        }
        if !national
            .bytes()
            .next()
            .is_some_and(|b| country.is_mobile_start(b))
        {
            return Err(PhoneNumberError::NotMobile { country });
        }
        Ok(PhoneNumber {
            e164: format!("+{}{national}", country.calling_code()),
            country,
        })
    }

    /// The E.164 form, e.g. `"+255754123456"`: what is stored and shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// The number without the `+`, e.g. `"255754123456"`, as AzamPay and the mobile networks
    /// want it.
    ///
    /// ```
    /// # use wetech_domain::PhoneNumber;
    /// assert_eq!(PhoneNumber::parse("+255 754 123456").unwrap().msisdn(), "255754123456");
    /// ```
    #[must_use]
    pub fn msisdn(&self) -> &str {
        self.e164.strip_prefix('+').unwrap_or(&self.e164)
    }

    /// The country the number belongs to.
    #[must_use]
    pub fn country(&self) -> Country {
        self.country
    }
}

/// Splits `digits` (country code first) into country and national number, dropping one trunk
/// `0` after the country code.
fn international(digits: &str) -> Result<(Country, &str), PhoneNumberError> {
    let country = Country::from_calling_code(digits).ok_or(PhoneNumberError::UnsupportedCountry)?;
    let national = digits
        .get(country.calling_code().len()..)
        .unwrap_or_default();
    Ok((country, national.strip_prefix('0').unwrap_or(national)))
}

string_value_impls!(PhoneNumber, PhoneNumberError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_numbers_are_read_as_e164() {
        for (input, e164, country) in [
            ("0754 123 456", "+255754123456", Country::Tanzania),
            ("0754123456", "+255754123456", Country::Tanzania),
            ("+255 754 123456", "+255754123456", Country::Tanzania),
            ("+255754123456", "+255754123456", Country::Tanzania),
            ("255754123456", "+255754123456", Country::Tanzania),
            ("255-713-000-111", "+255713000111", Country::Tanzania),
            ("00255 713 000 111", "+255713000111", Country::Tanzania),
            ("(0)754123456", "+255754123456", Country::Tanzania),
            ("+255 (0)754 123 456", "+255754123456", Country::Tanzania),
            ("+255 0754 123 456", "+255754123456", Country::Tanzania),
            ("0754.123.456", "+255754123456", Country::Tanzania),
            ("0654 123 456", "+255654123456", Country::Tanzania),
            ("  +255 (754) 123-456 ", "+255754123456", Country::Tanzania),
            ("0754\u{a0}123\u{a0}456", "+255754123456", Country::Tanzania),
            // Kenyan-looking local numbers are read as Tanzanian (documented).
            ("0712 345 678", "+255712345678", Country::Tanzania),
            ("+254712345678", "+254712345678", Country::Kenya),
            ("+254 712 345 678", "+254712345678", Country::Kenya),
            ("254712345678", "+254712345678", Country::Kenya),
            ("+254 110 123 456", "+254110123456", Country::Kenya),
            ("+256772123456", "+256772123456", Country::Uganda),
            ("00256 772 123 456", "+256772123456", Country::Uganda),
            ("+250 788 123 456", "+250788123456", Country::Rwanda),
            ("+257 79 123 456", "+25779123456", Country::Burundi),
        ] {
            let p = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(p.as_str(), e164, "{input:?}");
            assert_eq!(p.msisdn(), &e164[1..], "{input:?}");
            assert_eq!(p.country(), country, "{input:?}");
        }
    }

    #[test]
    fn landlines_foreign_and_malformed_numbers_are_refused() {
        use Country as C;
        use PhoneNumberError as E;
        let wrong = |country, found| E::WrongLength {
            country,
            expected: country.national_len(),
            found,
        };
        for (input, expected) in [
            (
                "0222123456",
                E::NotMobile {
                    country: C::Tanzania,
                },
            ),
            (
                "+255 22 212 3456",
                E::NotMobile {
                    country: C::Tanzania,
                },
            ),
            // A Kenyan 01… number in local form is read as Tanzanian, where it is no mobile.
            (
                "0110 123 456",
                E::NotMobile {
                    country: C::Tanzania,
                },
            ),
            ("+254 20 2123456", E::NotMobile { country: C::Kenya }),
            ("+256 41 4123456", E::NotMobile { country: C::Uganda }),
            ("12345", E::Unrecognised),
            ("754123456", E::Unrecognised),
            ("+1 202 555 0100", E::UnsupportedCountry),
            ("+44 20 7946 0958", E::UnsupportedCountry),
            ("0044 20 7946 0958", E::UnsupportedCountry),
            ("+", E::Unrecognised),
            ("", E::Empty),
            (" - ", E::Empty),
            ("075412345", wrong(C::Tanzania, 8)),
            ("07541234567", wrong(C::Tanzania, 10)),
            ("+255", wrong(C::Tanzania, 0)),
            ("2557541234", wrong(C::Tanzania, 7)),
            ("+2547123456789", wrong(C::Kenya, 10)),
            ("+257 79 123 4567", wrong(C::Burundi, 9)),
            ("0754 123 456 ext 2", E::InvalidCharacter('e')),
            ("0754/123/456", E::InvalidCharacter('/')),
            ("+255+754123456", E::InvalidCharacter('+')),
            ("075412345６", E::InvalidCharacter('６')),
            ("0754\n123456", E::InvalidCharacter('\n')),
        ] {
            assert_eq!(PhoneNumber::parse(input), Err(expected), "{input:?}");
        }
        let huge = "0".repeat(1_000_000);
        assert_eq!(PhoneNumber::parse(&huge), Err(E::TooLong));
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            PhoneNumber::parse("07541234").unwrap_err().to_string(),
            "a Tanzanian mobile number has 9 digits after +255; this one has 7"
        );
        assert!(
            PhoneNumber::parse("0222123456")
                .unwrap_err()
                .to_string()
                .starts_with(
                    "not a Tanzanian mobile number: after +255 a mobile number starts with 6 or 7"
                )
        );
    }

    #[test]
    fn serde_goes_through_parse() {
        let p: PhoneNumber = serde_json::from_str("\"0754 123 456\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+255754123456\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"0222123456\"").is_err());
    }

    fn valid_number() -> impl Strategy<Value = PhoneNumber> {
        (0..Country::ALL.len(), any::<bool>(), "[0-9]{8}").prop_map(|(i, alt, rest)| {
            let country = Country::ALL[i];
            let first = match (country, alt) {
                (Country::Tanzania | Country::Burundi, false) => '6',
                (Country::Kenya, true) => '1',
                _ => '7',
            };
            let national: String = std::iter::once(first)
                .chain(rest.chars())
                .take(country.national_len())
                .collect();
            PhoneNumber::parse(&format!("+{}{national}", country.calling_code())).unwrap()
        })
    }

    proptest! {
        #[test]
        fn round_trips_through_every_written_form(p in valid_number(), sep in "[ .()-]{0,2}") {
            prop_assert_eq!(PhoneNumber::parse(p.as_str()).unwrap(), p.clone());
            prop_assert_eq!(PhoneNumber::parse(p.msisdn()).unwrap(), p.clone());
            prop_assert_eq!(PhoneNumber::parse(&format!("00{}", p.msisdn())).unwrap(), p.clone());
            let national = &p.msisdn()[p.country().calling_code().len()..];
            let spaced = format!("+{}{sep}{}{sep}{}", p.country().calling_code(), &national[..3], &national[3..]);
            prop_assert_eq!(PhoneNumber::parse(&spaced).unwrap(), p.clone());
            if p.country() == Country::Tanzania {
                prop_assert_eq!(PhoneNumber::parse(&format!("0{national}")).unwrap(), p.clone());
            }
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<PhoneNumber>(&json).unwrap(), p);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(p) = PhoneNumber::parse(&input) {
                prop_assert!(p.as_str().starts_with('+'));
                prop_assert_eq!(PhoneNumber::parse(p.as_str()).unwrap(), p);
            }
        }

        #[test]
        fn never_panics_on_digit_soup(input in "[+0-9 ().-]{0,60}") {
            if let Ok(p) = PhoneNumber::parse(&input) {
                prop_assert_eq!(p.msisdn().len(), p.country().calling_code().len() + p.country().national_len());
                prop_assert!(p.msisdn().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
