//! Writing values for people in the page's language: amounts and instants through
//! `wetech_i18n`, and words for each of our enums. Every label is an exhaustive `match` onto a
//! message key, so a new status, gateway or provider does not compile until it has its words.

use chrono::{DateTime, Utc};
use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus, Money};
use wetech_i18n::Language;
use wetech_payments::MobileProvider;

/// `TZS 500,000.00` (English), `TSh 500,000.00` (Swahili).
pub fn money_in(t: Language, amount: &Money) -> String {
    wetech_i18n::format_amount(t, amount.currency().as_str(), &amount.to_decimal_string())
}

/// An instant in East Africa Time: `3 March 2026, 17:05 EAT`, `3 Machi 2026, saa 17:05 EAT`.
pub fn time_in(t: Language, at: &DateTime<Utc>) -> String {
    wetech_i18n::format_datetime(t, at)
}

/// An amount in English (the back office): `TZS 500,000.00`.
pub fn money(amount: &Money) -> String {
    money_in(Language::En, amount)
}

/// An instant in English (the back office): `3 March 2026, 17:05 EAT`.
pub fn human_time(at: &DateTime<Utc>) -> String {
    time_in(Language::En, at)
}

/// The message key of the invoice's state.
const fn status_key(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Unpaid => "status-unpaid",
        InvoiceStatus::Pending => "status-pending",
        InvoiceStatus::Paid => "status-paid",
        InvoiceStatus::Reversed => "status-reversed",
        InvoiceStatus::Void => "status-void",
        InvoiceStatus::Refunded => "status-refunded",
    }
}

/// The invoice's state for the customer.
pub fn status_label(t: Language, status: InvoiceStatus) -> String {
    t.text(status_key(status))
}

/// The message key of a payment attempt's state.
const fn attempt_key(status: AttemptStatus) -> &'static str {
    match status {
        AttemptStatus::Initiated => "attempt-initiated",
        AttemptStatus::Pending => "attempt-pending",
        AttemptStatus::Completed => "attempt-completed",
        AttemptStatus::Failed => "attempt-failed",
        AttemptStatus::Expired => "attempt-expired",
        AttemptStatus::Reversed => "attempt-reversed",
        AttemptStatus::Review => "attempt-review",
    }
}

/// A payment attempt's state for the customer.
pub fn attempt_label(t: Language, status: AttemptStatus) -> String {
    t.text(attempt_key(status))
}

/// The gateway's name as customers know it (a brand: the same in every language).
pub const fn gateway_label(gateway: Gateway) -> &'static str {
    match gateway {
        Gateway::Pesapal => "Pesapal",
        Gateway::AzamPay => "AzamPay",
    }
}

/// The mobile network's name as customers know it (brands: the same in every language).
pub const fn provider_label(p: MobileProvider) -> &'static str {
    match p {
        MobileProvider::Airtel => "Airtel Money",
        MobileProvider::Tigo => "Tigo Pesa (Mixx by Yas)",
        MobileProvider::Halopesa => "HaloPesa",
        MobileProvider::Azampesa => "AzamPesa",
        MobileProvider::Mpesa => "Vodacom M-Pesa",
    }
}

/// A payer's number as the customer's page may show it: the local form with its middle hidden,
/// `0712 ••• 678` for `+255712345678`; any other number keeps only its first four and last
/// three characters. Never the whole number (the page is reachable by anyone with its link).
pub fn masked_phone(e164: &str) -> String {
    let local = e164
        .strip_prefix("+255")
        .filter(|n| n.len() == 9)
        .map_or_else(|| e164.to_owned(), |n| format!("0{n}"));
    let chars: Vec<char> = local.chars().collect();
    if chars.len() < 8 {
        return "•••".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head} ••• {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use wetech_domain::Currency;

    #[test]
    fn money_groups_thousands_in_each_language() {
        let tzs = |s| Money::parse_decimal(s, Currency::Tzs).unwrap();
        assert_eq!(money(&tzs("500000.00")), "TZS 500,000.00");
        assert_eq!(money_in(Language::Sw, &tzs("500000.00")), "TSh 500,000.00");
        assert_eq!(money(&tzs("1500000")), "TZS 1,500,000.00");
        assert_eq!(
            money(&Money::parse_decimal("120.50", Currency::Kes).unwrap()),
            "KES 120.50"
        );
    }

    #[test]
    fn phone_numbers_are_shown_masked() {
        assert_eq!(masked_phone("+255712345678"), "0712 ••• 678");
        assert_eq!(masked_phone("+254712345678"), "+254 ••• 678");
        assert_eq!(masked_phone("+2551"), "•••");
        assert!(!masked_phone("+255712345678").contains("345"));
    }

    #[test]
    fn times_are_shown_in_east_africa_time() {
        let t = DateTime::parse_from_rfc3339("2026-03-03T14:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(human_time(&t), "3 March 2026, 17:05 EAT");
        assert_eq!(time_in(Language::Sw, &t), "3 Machi 2026, saa 17:05 EAT");
    }

    #[test]
    fn every_state_has_its_own_words_in_every_language() {
        for t in Language::ALL {
            let attempts: std::collections::HashSet<_> = AttemptStatus::ALL
                .iter()
                .map(|s| attempt_label(t, *s))
                .collect();
            assert_eq!(attempts.len(), AttemptStatus::ALL.len(), "{t}");
            let invoices: std::collections::HashSet<_> = InvoiceStatus::ALL
                .iter()
                .map(|s| status_label(t, *s))
                .collect();
            assert_eq!(invoices.len(), InvoiceStatus::ALL.len(), "{t}");
            for s in InvoiceStatus::ALL {
                assert_ne!(
                    status_label(t, *s),
                    status_key(*s),
                    "{t}: a key without words"
                );
            }
        }
        assert_eq!(status_label(Language::Sw, InvoiceStatus::Paid), "Imelipwa");
        assert_eq!(gateway_label(Gateway::AzamPay), "AzamPay");
    }
}
