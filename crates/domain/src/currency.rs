//! [`Currency`]: an ISO-4217 currency with its minor-unit exponent.

use crate::text::string_value_impls;

/// Why a string names no supported currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency code: expected an ISO-4217 code such as TZS, KES or USD")]
pub struct CurrencyError;

macro_rules! currencies {
    ($($variant:ident => $code:literal, $exp:literal, $name:literal;)+) => {
        /// An ISO-4217 currency from the supported table, with its minor-unit exponent (the
        /// number of decimals: TZS 2, UGX 0, KWD 3, …). Unknown codes are refused.
        ///
        /// ```
        /// use wetech_domain::Currency;
        /// let c = Currency::parse("TZS").unwrap();
        /// assert_eq!(c, Currency::Tzs);
        /// assert_eq!(c.exponent(), 2);
        /// assert_eq!(Currency::Ugx.exponent(), 0);
        /// assert!(Currency::parse("XYZ").is_err());
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Currency {
            $(
                #[doc = concat!($name, " (`", $code, "`, ", stringify!($exp), " decimals).")]
                $variant,
            )+
        }

        impl Currency {
            /// Every supported currency.
            pub const ALL: &'static [Currency] = &[$(Currency::$variant),+];

            /// The ISO-4217 alphabetic code, e.g. `"TZS"`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Currency::$variant => $code),+ }
            }

            /// The number of decimal places of the minor unit (ISO-4217 "minor unit").
            #[must_use]
            pub const fn exponent(self) -> u32 {
                match self { $(Currency::$variant => $exp),+ }
            }

            /// The English name, e.g. `"Tanzanian shilling"`.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $(Currency::$variant => $name),+ }
            }

            /// Parses a three-letter code; surrounding whitespace is trimmed and lower case is
            /// accepted (`"tzs"` is TZS).
            ///
            /// ```
            /// use wetech_domain::Currency;
            /// assert_eq!(Currency::parse(" kes").unwrap().as_str(), "KES");
            /// ```
            pub fn parse(input: &str) -> Result<Self, CurrencyError> {
                let s = input.trim();
                $(
                    if s.eq_ignore_ascii_case($code) {
                        return Ok(Currency::$variant);
                    }
                )+
                Err(CurrencyError)
            }
        }
    };
}

// The workspace's one currency table is `wetech-payments`' (its `money.rs`): this list must hold
// exactly its codes with the same minor-unit digits. The domain takes no other crate of the
// workspace (and the payments crate none of it), so the list cannot be shared in code;
// `wetech-runtime`, which sees both, tests that the two are equal entry by entry.
currencies! {
    Tzs => "TZS", 2, "Tanzanian shilling";
    Kes => "KES", 2, "Kenyan shilling";
    Ugx => "UGX", 0, "Ugandan shilling";
    Rwf => "RWF", 0, "Rwandan franc";
    Bif => "BIF", 0, "Burundian franc";
    Cdf => "CDF", 2, "Congolese franc";
    Ssp => "SSP", 2, "South Sudanese pound";
    Etb => "ETB", 2, "Ethiopian birr";
    Sos => "SOS", 2, "Somali shilling";
    Djf => "DJF", 0, "Djiboutian franc";
    Kmf => "KMF", 0, "Comorian franc";
    Mzn => "MZN", 2, "Mozambican metical";
    Mwk => "MWK", 2, "Malawian kwacha";
    Zmw => "ZMW", 2, "Zambian kwacha";
    Zwl => "ZWL", 2, "Zimbabwean dollar";
    Zwg => "ZWG", 2, "Zimbabwe gold";
    Bwp => "BWP", 2, "Botswana pula";
    Zar => "ZAR", 2, "South African rand";
    Ngn => "NGN", 2, "Nigerian naira";
    Ghs => "GHS", 2, "Ghanaian cedi";
    Egp => "EGP", 2, "Egyptian pound";
    Xof => "XOF", 0, "West African CFA franc";
    Xaf => "XAF", 0, "Central African CFA franc";
    Usd => "USD", 2, "US dollar";
    Eur => "EUR", 2, "Euro";
    Gbp => "GBP", 2, "Pound sterling";
    Chf => "CHF", 2, "Swiss franc";
    Cad => "CAD", 2, "Canadian dollar";
    Aud => "AUD", 2, "Australian dollar";
    Cny => "CNY", 2, "Chinese yuan";
    Inr => "INR", 2, "Indian rupee";
    Aed => "AED", 2, "UAE dirham";
    Sar => "SAR", 2, "Saudi riyal";
    Omr => "OMR", 3, "Omani rial";
    Kwd => "KWD", 3, "Kuwaiti dinar";
    Bhd => "BHD", 3, "Bahraini dinar";
    Jod => "JOD", 3, "Jordanian dinar";
    Tnd => "TND", 3, "Tunisian dinar";
    Jpy => "JPY", 0, "Japanese yen";
    Krw => "KRW", 0, "South Korean won";
}

impl Currency {
    /// `10^exponent`: how many minor units make one major unit (100 for TZS, 1 for UGX).
    #[must_use]
    pub const fn minor_per_major(self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

string_value_impls!(Currency, CurrencyError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_required_table() {
        for (code, exp) in [
            ("TZS", 2),
            ("KES", 2),
            ("UGX", 0),
            ("RWF", 0),
            ("BIF", 0),
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("ZAR", 2),
            ("ZMW", 2),
            ("MWK", 2),
            ("CDF", 2),
            ("SSP", 2),
            ("ETB", 2),
            ("KWD", 3),
            ("BHD", 3),
            ("JPY", 0),
        ] {
            let c = Currency::parse(code).unwrap();
            assert_eq!(c.exponent(), exp, "{code}");
            assert_eq!(c.as_str(), code);
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        for bad in ["", "TZ", "TZSS", "XYZ", "T Z S", "tzs\0", "₸", "BTC", "XAU"] {
            assert_eq!(Currency::parse(bad), Err(CurrencyError), "{bad:?}");
        }
        assert!(serde_json::from_str::<Currency>("\"XYZ\"").is_err());
        assert_eq!(
            serde_json::from_str::<Currency>("\"tzs\"").unwrap(),
            Currency::Tzs
        );
        assert_eq!(serde_json::to_string(&Currency::Kwd).unwrap(), "\"KWD\"");
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Currency::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert_eq!(c.as_str().len(), 3);
            assert!(c.as_str().bytes().all(|b| b.is_ascii_uppercase()));
            assert_eq!(Currency::parse(c.as_str()), Ok(*c));
            assert_eq!(Currency::parse(&c.as_str().to_lowercase()), Ok(*c));
        }
    }

    proptest! {
        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(c) = Currency::parse(&input) {
                prop_assert!(input.trim().eq_ignore_ascii_case(c.as_str()));
            }
        }
    }
}
