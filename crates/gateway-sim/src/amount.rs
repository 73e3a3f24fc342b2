//! Amounts as the simulated gateways keep them: integer minor units of a currency they accept.
//!
//! This is the simulator's own reading of decimal text, independent of the payments crate's
//! `Money`: the fake must not inherit a parsing bug from the client it tests.

use std::fmt;

/// Currencies the simulated gateways accept and their decimal places. Pesapal's merchant
/// currencies in the region plus USD for cards, and a few others with 0 and 3 decimal places
/// so clients' exponent handling is exercised.
const CURRENCIES: &[(&str, u8)] = &[
    ("TZS", 2),
    ("KES", 2),
    ("UGX", 0),
    ("RWF", 0),
    ("MWK", 2),
    ("ZMW", 2),
    ("ZWL", 2),
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("KWD", 3),
    ("BHD", 3),
];

/// An amount held by the simulator: minor units and an ISO 4217 code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    minor: i64,
    currency: &'static str,
    exponent: u8,
}

impl Amount {
    /// Reads exact decimal text (`"500000"`, `"500000.5"`, `"500000.00"`) in `currency`
    /// (case-insensitive). Extra decimal places are accepted only when they are zeros; signs,
    /// exponents and separators are refused. `None` when the text or the currency is not
    /// accepted.
    #[must_use]
    pub fn parse(text: &str, currency: &str) -> Option<Amount> {
        let &(code, exponent) = CURRENCIES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(currency.trim()))?;
        let text = text.trim();
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || text.ends_with('.') {
            return None;
        }
        let places = usize::from(exponent);
        let (kept, extra) = frac.split_at(frac.len().min(places));
        if extra.bytes().any(|b| b != b'0') {
            return None;
        }
        let mut minor: i64 = whole.parse().ok()?;
        for _ in 0..places {
            minor = minor.checked_mul(10)?;
        }
        let mut fraction: i64 = 0;
        for (i, b) in kept.bytes().enumerate() {
            let weight = 10i64.pow(u32::try_from(places - 1 - i).ok()?);
            fraction += i64::from(b - b'0') * weight;
        }
        Some(Amount {
            minor: minor.checked_add(fraction)?,
            currency: code,
            exponent,
        })
    }

    /// Whether the simulated gateways accept this currency code (case-insensitive).
    #[must_use]
    pub fn knows_currency(code: &str) -> bool {
        CURRENCIES
            .iter()
            .any(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
    }

    /// The amount in minor units (cents).
    #[must_use]
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The upper-case currency code, e.g. `"TZS"`.
    #[must_use]
    pub const fn currency(&self) -> &'static str {
        self.currency
    }

    /// Decimal text with all the currency's places: `500000.00` (TZS), `1500` (UGX).
    #[must_use]
    pub fn to_decimal_string(&self) -> String {
        if self.exponent == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(u32::from(self.exponent));
        format!(
            "{}.{:0width$}",
            self.minor / scale,
            self.minor % scale,
            width = usize::from(self.exponent)
        )
    }

    /// Decimal text without a zero fraction: `500000` for 500000.00 TZS, as AzamPay writes it.
    #[must_use]
    pub fn to_compact_string(&self) -> String {
        let scale = 10i64.pow(u32::from(self.exponent));
        if self.minor % scale == 0 {
            (self.minor / scale).to_string()
        } else {
            self.to_decimal_string()
        }
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::Amount;

    #[test]
    fn decimal_text_is_read_exactly() {
        let a = Amount::parse("500000.35", "tzs").unwrap();
        assert_eq!((a.minor(), a.currency()), (50_000_035, "TZS"));
        assert_eq!(a.to_decimal_string(), "500000.35");
        assert_eq!(Amount::parse("1500", "UGX").unwrap().minor(), 1500);
        assert_eq!(Amount::parse("1500.00", "UGX").unwrap().minor(), 1500);
        assert_eq!(
            Amount::parse("1.005", "KWD").unwrap().to_decimal_string(),
            "1.005"
        );
        assert_eq!(
            Amount::parse("120000", "TZS").unwrap().to_compact_string(),
            "120000"
        );
        assert_eq!(
            Amount::parse("10.5", "USD").unwrap().to_compact_string(),
            "10.50"
        );
        for bad in ["1e3", "-5", "+5", "1,000", "", ".5", "5.", "1.001"] {
            assert!(Amount::parse(bad, "TZS").is_none(), "{bad}");
        }
        assert!(Amount::parse("5", "XYZ").is_none());
        assert!(Amount::parse("99999999999999999999", "TZS").is_none());
    }
}
