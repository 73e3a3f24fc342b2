//! Writing values for people: amounts with grouped digits, instants in East Africa Time, and a
//! label for each of our enums. Every label is an exhaustive `match`, so a new status, gateway or
//! provider does not compile until it has its words.

use chrono::{DateTime, Utc};
use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus, Money};
use wetech_payments::MobileProvider;

/// `500000.00` → `500,000.00` (digits grouped by thousands; the fraction untouched).
pub fn group_thousands(decimal: &str) -> String {
    let (sign, rest) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return decimal.to_owned();
    }
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `TZS 500,000.00`
pub fn money(amount: &Money) -> String {
    format!(
        "{} {}",
        amount.currency(),
        group_thousands(&amount.to_decimal_string())
    )
}

/// An instant in East Africa Time: `3 March 2026, 17:05 EAT`.
pub fn human_time(t: &DateTime<Utc>) -> String {
    match chrono::FixedOffset::east_opt(3 * 3600) {
        Some(eat) => t
            .with_timezone(&eat)
            .format("%-d %B %Y, %H:%M EAT")
            .to_string(),
        None => t.to_rfc3339(),
    }
}

/// The invoice's state for the customer.
pub const fn status_label(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Unpaid => "Unpaid",
        InvoiceStatus::Pending => "Payment under way",
        InvoiceStatus::Paid => "Paid",
        InvoiceStatus::Reversed => "Reversed",
        InvoiceStatus::Void => "Cancelled",
        InvoiceStatus::Refunded => "Refunded",
    }
}

/// A payment attempt's state for the customer.
pub const fn attempt_label(status: AttemptStatus) -> &'static str {
    match status {
        AttemptStatus::Initiated => "Starting",
        AttemptStatus::Pending => "Waiting for approval",
        AttemptStatus::Completed => "Paid",
        AttemptStatus::Failed => "Failed",
        AttemptStatus::Expired => "Not completed",
        AttemptStatus::Reversed => "Reversed",
        AttemptStatus::Review => "Under review",
    }
}

/// The gateway's name as customers know it.
pub const fn gateway_label(gateway: Gateway) -> &'static str {
    match gateway {
        Gateway::Pesapal => "Pesapal",
        Gateway::AzamPay => "AzamPay",
    }
}

/// The mobile network's name as customers know it.
pub const fn provider_label(p: MobileProvider) -> &'static str {
    match p {
        MobileProvider::Airtel => "Airtel Money",
        MobileProvider::Tigo => "Tigo Pesa (Mixx by Yas)",
        MobileProvider::Halopesa => "HaloPesa",
        MobileProvider::Azampesa => "AzamPesa",
        MobileProvider::Mpesa => "Vodacom M-Pesa",
    }
}

/// `the invoice is already paid` → `The invoice is already paid.`
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wetech_domain::Currency;

    #[test]
    fn money_groups_thousands() {
        let tzs = |s| Money::parse_decimal(s, Currency::Tzs).unwrap();
        assert_eq!(money(&tzs("500000.00")), "TZS 500,000.00");
        assert_eq!(money(&tzs("1500000")), "TZS 1,500,000.00");
        assert_eq!(
            money(&Money::parse_decimal("120.50", Currency::Kes).unwrap()),
            "KES 120.50"
        );
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-1234567.5"), "-1,234,567.5");
        assert_eq!(group_thousands("0.00"), "0.00");
        // Anything unexpected is shown as it is.
        assert_eq!(group_thousands("1e9"), "1e9");
    }

    #[test]
    fn times_are_shown_in_east_africa_time() {
        let t = DateTime::parse_from_rfc3339("2026-03-03T14:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(human_time(&t), "3 March 2026, 17:05 EAT");
    }

    #[test]
    fn every_state_has_its_own_words() {
        let attempts: std::collections::HashSet<_> = AttemptStatus::ALL
            .iter()
            .map(|s| attempt_label(*s))
            .collect();
        assert_eq!(attempts.len(), AttemptStatus::ALL.len());
        let invoices: std::collections::HashSet<_> = InvoiceStatus::ALL
            .iter()
            .map(|s| status_label(*s))
            .collect();
        assert_eq!(invoices.len(), InvoiceStatus::ALL.len());
        assert_eq!(gateway_label(Gateway::AzamPay), "AzamPay");
    }

    #[test]
    fn capitalised_messages() {
        assert_eq!(
            capitalise("the invoice is already paid"),
            "The invoice is already paid."
        );
        assert_eq!(capitalise("already done."), "Already done.");
        assert_eq!(capitalise(""), "");
    }
}
