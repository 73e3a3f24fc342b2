//! Exact money: integer minor units plus an ISO 4217 currency with its own exponent table.
//!
//! No floating point is used anywhere. Gateways that want a JSON number get one written from the
//! exact decimal digits (see [`Money::to_decimal_string`]).

use std::fmt;

/// Why a currency code or an amount was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not three ASCII letters or is not in this crate's table.
    #[error("unknown or unsupported currency code `{0}`")]
    UnknownCurrency(String),
    /// The text is not a plain decimal number (`123`, `123.4`, `-0.50`).
    #[error("`{0}` is not a decimal amount")]
    NotADecimal(String),
    /// The amount has more decimal places than the currency allows (`10.123` USD).
    #[error("`{amount}` has more than {exponent} decimal places for {currency}")]
    TooPrecise {
        /// The text as given.
        amount: String,
        /// The currency.
        currency: &'static str,
        /// How many decimal places it allows.
        exponent: u8,
    },
    /// The amount does not fit in 64-bit minor units.
    #[error("amount `{0}` is out of range")]
    OutOfRange(String),
}

/// ISO 4217 codes known to this crate and their minor-unit exponents.
///
/// East-African currencies first; a few common others for foreign cards. This is the one
/// currency table of the workspace: `wetech-domain`'s `Currency` (what the catalogue may price
/// in) must hold exactly these codes with these exponents. This crate takes nothing from the
/// workspace, so the two cannot share the list in code; `wetech-runtime`, which sees both,
/// tests that they are equal entry by entry. Which of these each gateway takes is
/// [`crate::Gateway::currencies`].
const CURRENCIES: &[(&str, u8)] = &[
    ("TZS", 2),
    ("KES", 2),
    ("UGX", 0),
    ("RWF", 0),
    ("BIF", 0),
    ("MWK", 2),
    ("ZMW", 2),
    ("ZWL", 2),
    ("ZWG", 2),
    ("ETB", 2),
    ("SSP", 2),
    ("SOS", 2),
    ("CDF", 2),
    ("DJF", 0),
    ("KMF", 0),
    ("MZN", 2),
    ("BWP", 2),
    ("ZAR", 2),
    ("NGN", 2),
    ("GHS", 2),
    ("EGP", 2),
    ("XAF", 0),
    ("XOF", 0),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("CNY", 2),
    ("INR", 2),
    ("AED", 2),
    ("SAR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("BHD", 3),
    ("KWD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
];

/// An ISO 4217 currency known to this crate (three upper-case letters and its exponent).
///
/// ```
/// use wetech_payments::Currency;
/// let tzs = Currency::parse("tzs")?;
/// assert_eq!(tzs.code(), "TZS");
/// assert_eq!(tzs.exponent(), 2);
/// assert!(Currency::parse("XYZ").is_err());
/// # Ok::<(), wetech_payments::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Tanzanian shilling (exponent 2).
    pub const TZS: Currency = Currency::entry("TZS", 2);
    /// Kenyan shilling (exponent 2).
    pub const KES: Currency = Currency::entry("KES", 2);
    /// Ugandan shilling (exponent 0).
    pub const UGX: Currency = Currency::entry("UGX", 0);
    /// Rwandan franc (exponent 0).
    pub const RWF: Currency = Currency::entry("RWF", 0);
    /// Malawian kwacha (exponent 2).
    pub const MWK: Currency = Currency::entry("MWK", 2);
    /// Zambian kwacha (exponent 2).
    pub const ZMW: Currency = Currency::entry("ZMW", 2);
    /// US dollar (exponent 2).
    pub const USD: Currency = Currency::entry("USD", 2);

    /// A table entry by its parts, for the named constants (a test checks that each is one).
    const fn entry(code: &'static str, exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Every currency of the table, in its order.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, exponent)| Currency { code, exponent })
    }

    /// Looks a code up, case-insensitively, after trimming spaces.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let trimmed = code.trim();
        CURRENCIES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(trimmed))
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(truncate(trimmed, 16)))
    }

    /// The upper-case ISO code, e.g. `"TZS"`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        self.code
    }

    /// Number of decimal places of the minor unit (2 for TZS, 0 for UGX).
    #[must_use]
    pub const fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// An exact amount: integer minor units plus a currency.
///
/// ```
/// use wetech_payments::{Currency, Money};
/// let price = Money::parse_decimal("500000.00", Currency::TZS)?;
/// assert_eq!(price.minor(), 50_000_000);
/// assert_eq!(price.to_decimal_string(), "500000.00");
/// assert_eq!(Money::new(1050, Currency::USD).to_decimal_string(), "10.50");
/// assert!(Money::parse_decimal("10.123", Currency::USD).is_err());
/// # Ok::<(), wetech_payments::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount of `minor` units (cents) of `currency`.
    #[must_use]
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses exact decimal text (`"500000"`, `"500000.5"`, `"500000.00"`, surrounding spaces
    /// allowed). More decimal places than the currency has are accepted only when they are zeros.
    /// Exponent notation, `+`, thousands separators and anything else are refused.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let minor = parse_minor(text.trim(), currency)?;
        Ok(Money { minor, currency })
    }

    /// The amount in minor units.
    #[must_use]
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Exact decimal text with exactly the currency's number of decimals: `500000.00` (TZS),
    /// `1500` (UGX), `-0.05` (USD).
    #[must_use]
    pub fn to_decimal_string(&self) -> String {
        let exp = u32::from(self.currency.exponent);
        let negative = self.minor < 0;
        let abs = self.minor.unsigned_abs();
        let sign = if negative { "-" } else { "" };
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exp);
        let whole = abs / scale;
        let frac = abs % scale;
        format!("{sign}{whole}.{frac:0width$}", width = exp as usize)
    }

    /// Decimal text without a fractional part when it is zero: `500000` for 500000.00 TZS,
    /// `10.50` otherwise. AzamPay wants whole shillings written this way.
    #[must_use]
    pub fn to_compact_decimal_string(&self) -> String {
        let exp = u32::from(self.currency.exponent);
        let scale = 10i64.pow(exp);
        if self.minor % scale == 0 {
            format!("{}", self.minor / scale)
        } else {
            self.to_decimal_string()
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency.code)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency.code)
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn parse_minor(text: &str, currency: Currency) -> Result<i64, MoneyError> {
    let bad = || MoneyError::NotADecimal(truncate(text, 40));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if digits.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let exp = usize::from(currency.exponent);
    let (kept, extra) = if frac.len() > exp {
        frac.split_at(exp)
    } else {
        (frac, "")
    };
    if extra.bytes().any(|b| b != b'0') {
        return Err(MoneyError::TooPrecise {
            amount: truncate(text, 40),
            currency: currency.code,
            exponent: currency.exponent,
        });
    }
    let out_of_range = || MoneyError::OutOfRange(truncate(text, 40));
    let whole = whole.trim_start_matches('0');
    if whole.len() > 18 {
        return Err(out_of_range());
    }
    let mut value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    for i in 0..exp {
        let digit = kept.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or_else(out_of_range)?;
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_exactly() {
        let tzs = Currency::TZS;
        assert_eq!(
            Money::parse_decimal("500000.00", tzs).unwrap().minor(),
            50_000_000
        );
        assert_eq!(Money::parse_decimal("10.5", tzs).unwrap().minor(), 1050);
        assert_eq!(Money::parse_decimal("10", tzs).unwrap().minor(), 1000);
        assert_eq!(Money::parse_decimal("10.000", tzs).unwrap().minor(), 1000);
        assert_eq!(
            Money::parse_decimal("-0.05", tzs)
                .unwrap()
                .to_decimal_string(),
            "-0.05"
        );
        assert_eq!(
            Money::parse_decimal("1500", Currency::UGX)
                .unwrap()
                .to_decimal_string(),
            "1500"
        );
        assert_eq!(
            Money::new(50_000_000, tzs).to_compact_decimal_string(),
            "500000"
        );
        assert_eq!(
            Money::new(50_000_050, tzs).to_compact_decimal_string(),
            "500000.50"
        );
    }

    #[test]
    fn refuses_what_is_not_plain_decimal() {
        for bad in [
            "", ".", "1.", ".5", "1e3", "+1", "1,000", "1.2.3", "abc", "--1", "1 000", "NaN",
        ] {
            assert!(
                Money::parse_decimal(bad, Currency::TZS).is_err(),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(
            Money::parse_decimal("0.001", Currency::TZS),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse_decimal("99999999999999999999", Currency::TZS),
            Err(MoneyError::OutOfRange(_))
        ));
        assert!(matches!(
            Money::parse_decimal("92233720368547758.08", Currency::TZS),
            Err(MoneyError::OutOfRange(_))
        ));
    }

    #[test]
    fn currency_lookup_is_case_insensitive_and_closed() {
        assert_eq!(Currency::parse(" kes ").unwrap(), Currency::KES);
        assert!(Currency::parse("TZSX").is_err());
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn the_named_constants_are_entries_of_the_table() {
        for c in [Currency::RWF, Currency::MWK, Currency::ZMW] {
            assert_eq!(Currency::parse(c.code()), Ok(c));
        }
        let codes: Vec<&str> = Currency::all().map(Currency::code).collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "a code twice in {codes:?}");
    }
}
