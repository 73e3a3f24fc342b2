//! Which enabled gateway takes a currency: what `ops catalog set` checks before it offers a
//! price, so a service is never priced in a currency no customer could pay (the payment would
//! fail only when a customer tries).

use wetech_payments::{Currency, Gateway};

use crate::gateways::{GatewaySetupError, enabled_gateways};
use crate::settings::Settings;

/// Why a currency cannot be offered.
#[derive(Debug, thiserror::Error)]
pub enum CurrencyCheckError {
    /// No enabled gateway takes the currency; `offers` lists what each enabled one takes.
    #[error("no enabled payment gateway takes {currency}: {offers}")]
    NotTaken {
        /// The ISO code asked about.
        currency: String,
        /// `pesapal takes TZS, KES, …; azampay takes TZS`.
        offers: String,
    },
    /// The enabled gateways cannot be told from the settings.
    #[error("the enabled payment gateways cannot be told from the settings")]
    Settings(#[source] GatewaySetupError),
}

/// The gateways these settings enable, in [`Gateway::ALL`] order.
///
/// # Errors
/// A gateway setting is missing or malformed.
pub fn enabled_gateway_list(settings: &Settings) -> Result<Vec<Gateway>, GatewaySetupError> {
    let enabled = enabled_gateways(settings)?;
    Ok(Gateway::ALL
        .into_iter()
        .filter(|g| match g {
            Gateway::Pesapal => enabled.pesapal,
            Gateway::AzamPay => enabled.azampay,
        })
        .collect())
}

/// The enabled gateways that take the currency `code` (an ISO-4217 code, any case), at least
/// one.
///
/// # Errors
/// [`CurrencyCheckError::NotTaken`] naming every enabled gateway and what it takes, or the
/// settings error that hides which gateways are enabled.
pub fn gateways_taking(
    settings: &Settings,
    code: &str,
) -> Result<Vec<Gateway>, CurrencyCheckError> {
    let enabled = enabled_gateway_list(settings).map_err(CurrencyCheckError::Settings)?;
    let currency = Currency::parse(code).ok();
    let taking: Vec<Gateway> = enabled
        .iter()
        .copied()
        .filter(|g| currency.is_some_and(|c| g.takes(c)))
        .collect();
    if !taking.is_empty() {
        return Ok(taking);
    }
    let offers = enabled
        .iter()
        .map(|g| {
            let codes: Vec<&str> = g.currencies().iter().map(|c| c.code()).collect();
            format!("{g} takes {}", codes.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(CurrencyCheckError::NotTaken {
        currency: code.trim().to_ascii_uppercase(),
        offers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(None, vars).unwrap()
    }

    /// Sandbox settings with only the given gateways' credentials.
    fn sandbox(pesapal: bool, azampay: bool) -> Settings {
        let mut vars = vec![("WETECH__PAYMENTS__MODE", "sandbox")];
        if pesapal {
            vars.extend([
                ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "key"),
                ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", "secret"),
            ]);
        }
        if azampay {
            vars.extend([
                ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech"),
                ("WETECH__PAYMENTS__AZAMPAY__CLIENT_ID", "id"),
                ("WETECH__PAYMENTS__AZAMPAY__CLIENT_SECRET", "secret"),
                (
                    "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN",
                    "callback-token-0123456789",
                ),
            ]);
        }
        settings(&vars)
    }

    #[test]
    fn a_currency_only_azampay_is_asked_for_is_refused_naming_what_it_takes() {
        let azampay_only = sandbox(false, true);
        assert_eq!(
            gateways_taking(&azampay_only, "tzs").unwrap(),
            [Gateway::AzamPay]
        );
        let err = gateways_taking(&azampay_only, "KES").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no enabled payment gateway takes KES: azampay takes TZS"
        );
    }

    #[test]
    fn every_enabled_gateway_is_named_when_none_takes_the_currency() {
        let both = sandbox(true, true);
        assert_eq!(
            gateways_taking(&both, "TZS").unwrap(),
            [Gateway::Pesapal, Gateway::AzamPay]
        );
        assert_eq!(gateways_taking(&both, "UGX").unwrap(), [Gateway::Pesapal]);
        for code in ["EGP", "SAR", "XYZ"] {
            let text = gateways_taking(&both, code).unwrap_err().to_string();
            assert!(text.contains(code), "{text}");
            assert!(text.contains("pesapal takes TZS, KES"), "{text}");
            assert!(text.contains("azampay takes TZS"), "{text}");
        }
        // Simulator mode enables both.
        let dev = settings(&[]);
        assert_eq!(
            enabled_gateway_list(&dev).unwrap(),
            [Gateway::Pesapal, Gateway::AzamPay]
        );
    }

    #[test]
    fn settings_that_hide_the_enabled_gateways_say_so() {
        // Loading refuses such settings; a caller may still have changed them since.
        let mut half = sandbox(true, false);
        half.payments.pesapal.consumer_secret = None;
        let err = gateways_taking(&half, "TZS").unwrap_err();
        assert!(matches!(err, CurrencyCheckError::Settings(_)), "{err:?}");
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(
            cause.contains("payments.pesapal.consumer_secret"),
            "{cause}"
        );
    }

    /// The workspace's one currency table is the payments crate's; the domain's `Currency`
    /// (what the catalogue and invoices may use) must be the same table, entry by entry with
    /// its minor-unit digits, or a price the catalogue accepts would fail at payment.
    #[test]
    fn the_domain_and_the_payments_currency_tables_are_one() {
        use std::collections::BTreeMap;
        let domain: BTreeMap<&str, u32> = wetech_domain::Currency::ALL
            .iter()
            .map(|c| (c.as_str(), c.exponent()))
            .collect();
        let payments: BTreeMap<&str, u32> = Currency::all()
            .map(|c| (c.code(), u32::from(c.exponent())))
            .collect();
        assert_eq!(domain.len(), wetech_domain::Currency::ALL.len());
        for (code, digits) in &domain {
            assert_eq!(payments.get(code), Some(digits), "domain {code}");
        }
        for (code, digits) in &payments {
            assert_eq!(domain.get(code), Some(digits), "payments {code}");
        }
    }
}
