//! [`Money`]: an exact amount in integer minor units of one [`Currency`]. No floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Currency;

/// Why an amount was refused or an operation on amounts failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The amount text is empty.
    #[error("amount is empty")]
    Empty,
    /// A minus sign, or a negative number of minor units.
    #[error("amount must not be negative")]
    Negative,
    /// Not plain digits with an optional `.` and decimals (signs, exponents, spaces, commas).
    #[error("amount must be written as digits with an optional '.' and decimals, e.g. 500000.00")]
    Malformed,
    /// More decimals than the currency has.
    #[error("{currency} amounts have at most {max} decimals", max = currency.exponent())]
    TooManyDecimals {
        /// The currency of the amount.
        currency: Currency,
    },
    /// The amount does not fit in a signed 64-bit count of minor units.
    #[error("amount is too large")]
    Overflow,
    /// An operation on amounts of two different currencies.
    #[error("cannot combine {left} and {right} amounts")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: Currency,
        /// The currency of the right operand.
        right: Currency,
    },
}

/// An exact, non-negative amount: a count of minor units (cents; shillings for UGX; fils for KWD)
/// and its currency. No floating point is used anywhere.
///
/// JSON form: `{"amount": "500000.00", "currency": "TZS"}` (the amount as a decimal string with
/// exactly the currency's number of decimals). Deserialising goes through
/// [`Money::parse_decimal`], so invalid amounts and unknown fields are refused.
///
/// ```
/// use wetech_domain::{Currency, Money};
/// let m = Money::parse_decimal("500000", Currency::Tzs).unwrap();
/// assert_eq!(m.minor(), 50_000_000);
/// assert_eq!(m.to_decimal_string(), "500000.00");
/// assert_eq!(m.to_string(), "500000.00 TZS");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount of `minor` minor units (e.g. cents). Negative counts are refused.
    ///
    /// ```
    /// use wetech_domain::{Currency, Money, MoneyError};
    /// assert_eq!(Money::from_minor(150, Currency::Usd).unwrap().to_decimal_string(), "1.50");
    /// assert_eq!(Money::from_minor(-1, Currency::Usd), Err(MoneyError::Negative));
    /// ```
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Money, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Money { minor, currency })
    }

    /// Nothing, in `currency`.
    #[must_use]
    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parses a decimal amount exactly: ASCII digits, optionally a `.` followed by at most
    /// `currency.exponent()` digits (fewer are padded: `"500000.5"` TZS is 50 000 050 minor units).
    /// Surrounding whitespace is trimmed. Refused: signs (`-`, `+`), exponents (`1e5`), spaces or
    /// separators inside (`1 000`, `1,000`), a `.` without digits on both sides, more decimals than
    /// the currency has, and values beyond `i64::MAX` minor units.
    ///
    /// ```
    /// use wetech_domain::{Currency, Money, MoneyError};
    /// assert_eq!(Money::parse_decimal("0.1", Currency::Tzs).unwrap().minor(), 10);
    /// assert_eq!(Money::parse_decimal("1.234", Currency::Kwd).unwrap().minor(), 1234);
    /// assert_eq!(Money::parse_decimal("1.234", Currency::Tzs),
    ///            Err(MoneyError::TooManyDecimals { currency: Currency::Tzs }));
    /// assert_eq!(Money::parse_decimal("1.5", Currency::Ugx),
    ///            Err(MoneyError::TooManyDecimals { currency: Currency::Ugx }));
    /// ```
    pub fn parse_decimal(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || !fraction.is_none_or(all_digits) {
            return Err(MoneyError::Malformed);
        }
        let fraction = fraction.unwrap_or("");
        let exponent = currency.exponent();
        let missing = exponent
            .checked_sub(u32::try_from(fraction.len()).unwrap_or(u32::MAX))
            .ok_or(MoneyError::TooManyDecimals { currency })?;
        let digits_value = |t: &str| {
            t.bytes().try_fold(0_i64, |acc, b| {
                acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
            })
        };
        let minor = digits_value(whole)
            .and_then(|w| w.checked_mul(currency.minor_per_major()))
            .and_then(|w| {
                let f = digits_value(fraction)?.checked_mul(10_i64.pow(missing))?;
                w.checked_add(f)
            })
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency })
    }

    /// The count of minor units (never negative).
    #[must_use]
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a decimal string with exactly the currency's number of decimals:
    /// `"500000.00"` for TZS, `"1500000"` for UGX, `"1.234"` for KWD.
    ///
    /// ```
    /// use wetech_domain::{Currency, Money};
    /// assert_eq!(Money::from_minor(1_500_000, Currency::Ugx).unwrap().to_decimal_string(), "1500000");
    /// assert_eq!(Money::from_minor(5, Currency::Kwd).unwrap().to_decimal_string(), "0.005");
    /// ```
    #[must_use]
    pub fn to_decimal_string(&self) -> String {
        let exponent = self.currency.exponent();
        if exponent == 0 {
            return self.minor.to_string();
        }
        let scale = self.currency.minor_per_major();
        format!(
            "{}.{:0width$}",
            self.minor / scale,
            self.minor % scale,
            width = exponent as usize
        )
    }

    /// The sum, refused when the currencies differ or the result overflows.
    ///
    /// ```
    /// use wetech_domain::{Currency, Money, MoneyError};
    /// let a = Money::parse_decimal("1.50", Currency::Tzs).unwrap();
    /// assert_eq!(a.checked_add(a).unwrap().to_decimal_string(), "3.00");
    /// let b = Money::zero(Currency::Kes);
    /// assert_eq!(a.checked_add(b),
    ///            Err(MoneyError::CurrencyMismatch { left: Currency::Tzs, right: Currency::Kes }));
    /// ```
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }

    /// Whether the amount is zero.
    #[must_use]
    pub const fn is_zero(&self) -> bool {
        self.minor == 0
    }
}

impl fmt::Display for Money {
    /// `"500000.00 TZS"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// The JSON shape of [`Money`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyJson<A> {
    amount: A,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyJson {
            amount: self.to_decimal_string(),
            currency: self.currency,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = MoneyJson::<String>::deserialize(deserializer)?;
        Money::parse_decimal(&raw.amount, raw.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tzs(s: &str) -> Result<i64, MoneyError> {
        Money::parse_decimal(s, Currency::Tzs).map(|m| m.minor())
    }

    #[test]
    fn real_world_amounts() {
        assert_eq!(tzs("500000.00"), Ok(50_000_000));
        assert_eq!(tzs("500000"), Ok(50_000_000));
        assert_eq!(tzs("500000.5"), Ok(50_000_050));
        assert_eq!(tzs("1500000.00"), Ok(150_000_000));
        assert_eq!(tzs("120000.00"), Ok(12_000_000));
        assert_eq!(tzs("0.1"), Ok(10));
        assert_eq!(tzs("0.01"), Ok(1));
        assert_eq!(tzs("0"), Ok(0));
        assert_eq!(tzs("007.50"), Ok(750));
        assert_eq!(tzs(" 10.00\n"), Ok(1000));
        let ugx = |s| Money::parse_decimal(s, Currency::Ugx).map(|m| m.minor());
        assert_eq!(ugx("1500000"), Ok(1_500_000));
        assert_eq!(
            ugx("1.5"),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::Ugx
            })
        );
        assert_eq!(
            ugx("1.0"),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::Ugx
            })
        );
        let kwd = |s| Money::parse_decimal(s, Currency::Kwd).map(|m| m.minor());
        assert_eq!(kwd("1.234"), Ok(1234));
        assert_eq!(kwd("1.2"), Ok(1200));
        assert_eq!(
            kwd("1.2345"),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::Kwd
            })
        );
    }

    #[test]
    fn malformed_amounts_are_refused() {
        use MoneyError as E;
        let too_many = E::TooManyDecimals {
            currency: Currency::Tzs,
        };
        for (input, err) in [
            ("", E::Empty),
            ("   ", E::Empty),
            ("-1", E::Negative),
            ("-0.00", E::Negative),
            ("+1", E::Malformed),
            ("1e5", E::Malformed),
            ("1E5", E::Malformed),
            ("1.5e2", E::Malformed),
            ("1 000", E::Malformed),
            ("1,000.00", E::Malformed),
            ("1000,00", E::Malformed),
            ("1.", E::Malformed),
            (".5", E::Malformed),
            (".", E::Malformed),
            ("1..0", E::Malformed),
            ("1.0.0", E::Malformed),
            ("0x10", E::Malformed),
            ("NaN", E::Malformed),
            ("inf", E::Malformed),
            ("١٠٠", E::Malformed),    // Arabic-Indic digits
            ("１００", E::Malformed), // full-width digits
            ("TZS 100", E::Malformed),
            ("100 TZS", E::Malformed),
            ("1.234", too_many.clone()),
            ("1.000", too_many),
            ("92233720368547758.08", E::Overflow),
            ("92233720368547759", E::Overflow),
            ("99999999999999999999999999999", E::Overflow),
        ] {
            assert_eq!(tzs(input), Err(err), "{input:?}");
        }
        assert_eq!(tzs("92233720368547758.07"), Ok(i64::MAX));
        let huge = "9".repeat(1_000_000);
        assert_eq!(tzs(&huge), Err(MoneyError::Overflow));
        assert_eq!(
            Money::parse_decimal("9223372036854775807", Currency::Ugx)
                .unwrap()
                .minor(),
            i64::MAX
        );
    }

    #[test]
    fn formatting_always_shows_the_currency_decimals() {
        let m = |minor, c| Money::from_minor(minor, c).unwrap();
        assert_eq!(
            m(50_000_000, Currency::Tzs).to_decimal_string(),
            "500000.00"
        );
        assert_eq!(m(50_000_000, Currency::Tzs).to_string(), "500000.00 TZS");
        assert_eq!(m(0, Currency::Tzs).to_decimal_string(), "0.00");
        assert_eq!(m(7, Currency::Usd).to_decimal_string(), "0.07");
        assert_eq!(m(1_500_000, Currency::Ugx).to_string(), "1500000 UGX");
        assert_eq!(m(1001, Currency::Bhd).to_decimal_string(), "1.001");
        assert_eq!(
            m(i64::MAX, Currency::Kwd).to_decimal_string(),
            "9223372036854775.807"
        );
    }

    #[test]
    fn addition_is_checked() {
        let a = Money::from_minor(i64::MAX, Currency::Tzs).unwrap();
        let one = Money::from_minor(1, Currency::Tzs).unwrap();
        assert_eq!(a.checked_add(one), Err(MoneyError::Overflow));
        assert_eq!(
            one.checked_add(Money::zero(Currency::Usd)),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::Tzs,
                right: Currency::Usd
            })
        );
        assert_eq!(one.checked_add(one).unwrap().minor(), 2);
    }

    #[test]
    fn json_carries_a_decimal_string_and_a_currency() {
        let m = Money::parse_decimal("500000", Currency::Tzs).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"500000.00","currency":"TZS"}"#
        );
        let back: Money =
            serde_json::from_str(r#"{"amount":"500000.00","currency":"TZS"}"#).unwrap();
        assert_eq!(back, m);
        for bad in [
            r#"{"amount":500000,"currency":"TZS"}"#,
            r#"{"amount":"1.5","currency":"UGX"}"#,
            r#"{"amount":"-1","currency":"TZS"}"#,
            r#"{"amount":"1","currency":"XYZ"}"#,
            r#"{"amount":"1"}"#,
            r#"{"amount":"1","currency":"TZS","extra":1}"#,
        ] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        (0..Currency::ALL.len()).prop_map(|i| Currency::ALL[i])
    }

    proptest! {
        #[test]
        fn decimal_round_trip_for_every_exponent(currency in any_currency(), minor in 0..=i64::MAX) {
            let m = Money::from_minor(minor, currency).unwrap();
            let text = m.to_decimal_string();
            let exponent = currency.exponent() as usize;
            match text.split_once('.') {
                Some((_, decimals)) => prop_assert_eq!(decimals.len(), exponent),
                None => prop_assert_eq!(exponent, 0),
            }
            prop_assert_eq!(Money::parse_decimal(&text, currency).unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        }

        #[test]
        fn short_decimals_are_padded(currency in any_currency(), whole in 0_i64..1_000_000_000, decimals in "[0-9]{0,3}") {
            let exponent = currency.exponent() as usize;
            let text = if decimals.is_empty() { whole.to_string() } else { format!("{whole}.{decimals}") };
            let parsed = Money::parse_decimal(&text, currency);
            if decimals.len() > exponent {
                prop_assert_eq!(parsed, Err(MoneyError::TooManyDecimals { currency }));
            } else {
                let padded = format!("{decimals:0<exponent$}");
                let frac: i64 = if padded.is_empty() { 0 } else { padded.parse().unwrap() };
                prop_assert_eq!(parsed.unwrap().minor(), whole * currency.minor_per_major() + frac);
            }
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            for c in Currency::ALL {
                if let Ok(m) = Money::parse_decimal(&input, *c) {
                    prop_assert!(m.minor() >= 0);
                }
            }
        }

        #[test]
        fn never_panics_on_number_like_soup(input in "[0-9.eE+, -]{0,400}") {
            if let Ok(m) = Money::parse_decimal(&input, Currency::Tzs) {
                prop_assert_eq!(Money::parse_decimal(&m.to_decimal_string(), Currency::Tzs).unwrap(), m);
            }
        }

        #[test]
        fn addition_matches_integers(a in 0_i64..=i64::MAX, b in 0_i64..=i64::MAX) {
            let ma = Money::from_minor(a, Currency::Tzs).unwrap();
            let mb = Money::from_minor(b, Currency::Tzs).unwrap();
            match a.checked_add(b) {
                Some(sum) => prop_assert_eq!(ma.checked_add(mb).unwrap().minor(), sum),
                None => prop_assert_eq!(ma.checked_add(mb), Err(MoneyError::Overflow)),
            }
        }
    }
}
