//! Amounts and instants written for a language.
//!
//! Amounts: digits grouped by thousands with `,` and the decimals after `.`, as both English and
//! Swahili write them in East Africa; before them the currency as the language writes it — the
//! `currency-XXX` message when the locale has one (Swahili: `TSh`, `KSh`, `USh` for the three
//! shillings), else the ISO-4217 code (`TZS 500,000.00`, `TSh 500,000.00`, `USD 20.00` in both).
//!
//! Instants: East Africa Time (UTC+3, no daylight saving), with the month's name from the
//! locale (`3 March 2026, 17:05 EAT`, `3 Machi 2026, saa 17:05 EAT`).

use chrono::{DateTime, Datelike as _, FixedOffset, Utc};

use crate::{FluentValue, Language};

/// `500000.00` → `500,000.00` (digits grouped by thousands; the fraction untouched). Anything that
/// is not a plain decimal is returned as it is.
#[must_use]
pub fn group_thousands(decimal: &str) -> String {
    let (sign, rest) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
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

/// An amount given as its ISO-4217 code and exact decimal digits: `TZS 500,000.00` in English,
/// `TSh 500,000.00` in Swahili.
#[must_use]
pub fn format_amount(language: Language, currency_code: &str, decimal: &str) -> String {
    let key = format!("currency-{currency_code}");
    let symbol = if language.has(&key) {
        language.text(&key)
    } else {
        currency_code.to_owned()
    };
    format!("{symbol} {}", group_thousands(decimal))
}

fn east_africa_time(t: &DateTime<Utc>) -> DateTime<FixedOffset> {
    match FixedOffset::east_opt(3 * 3600) {
        Some(eat) => t.with_timezone(&eat),
        None => t.fixed_offset(),
    }
}

fn date_args(
    local: &DateTime<FixedOffset>,
    language: Language,
) -> [(&'static str, FluentValue<'static>); 3] {
    [
        ("day", FluentValue::from(local.day().to_string())),
        (
            "month",
            FluentValue::from(language.text(&format!("month-{}", local.month()))),
        ),
        ("year", FluentValue::from(local.year().to_string())),
    ]
}

/// A day in East Africa Time: `3 March 2026` / `3 Machi 2026`.
#[must_use]
pub fn format_date(language: Language, t: &DateTime<Utc>) -> String {
    let local = east_africa_time(t);
    language.text_with("date", &date_args(&local, language))
}

/// An instant in East Africa Time: `3 March 2026, 17:05 EAT` / `3 Machi 2026, saa 17:05 EAT`.
#[must_use]
pub fn format_datetime(language: Language, t: &DateTime<Utc>) -> String {
    let local = east_africa_time(t);
    let [day, month, year] = date_args(&local, language);
    let time = ("time", FluentValue::from(local.format("%H:%M").to_string()));
    language.text_with("datetime", &[day, month, year, time])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands("500000.00"), "500,000.00");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-1234567.5"), "-1,234,567.5");
        assert_eq!(group_thousands("0.00"), "0.00");
        assert_eq!(group_thousands("999"), "999");
        // Anything unexpected is shown as it is.
        assert_eq!(group_thousands("1e9"), "1e9");
        assert_eq!(group_thousands(".5"), ".5");
    }

    #[test]
    fn amounts_are_written_for_the_language() {
        assert_eq!(
            format_amount(Language::En, "TZS", "500000.00"),
            "TZS 500,000.00"
        );
        assert_eq!(
            format_amount(Language::Sw, "TZS", "500000.00"),
            "TSh 500,000.00"
        );
        assert_eq!(
            format_amount(Language::Sw, "KES", "1200.50"),
            "KSh 1,200.50"
        );
        assert_eq!(format_amount(Language::Sw, "UGX", "75000"), "USh 75,000");
        assert_eq!(
            format_amount(Language::En, "KES", "1200.50"),
            "KES 1,200.50"
        );
        // A currency without a local symbol keeps its ISO code in every language.
        assert_eq!(format_amount(Language::Sw, "USD", "20.00"), "USD 20.00");
        assert_eq!(format_amount(Language::En, "USD", "20.00"), "USD 20.00");
    }

    #[test]
    fn dates_use_the_languages_month_names_in_east_africa_time() {
        let t = DateTime::parse_from_rfc3339("2026-03-03T14:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_datetime(Language::En, &t), "3 March 2026, 17:05 EAT");
        assert_eq!(
            format_datetime(Language::Sw, &t),
            "3 Machi 2026, saa 17:05 EAT"
        );
        // 22:30 UTC on the last day of the year is already the next year in Dar es Salaam.
        let new_year = DateTime::parse_from_rfc3339("2026-12-31T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_date(Language::En, &new_year), "1 January 2027");
        assert_eq!(format_date(Language::Sw, &new_year), "1 Januari 2027");
        let months: Vec<String> = (1..=12)
            .map(|m| Language::Sw.text(&format!("month-{m}")))
            .collect();
        assert_eq!(
            months,
            [
                "Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti",
                "Septemba", "Oktoba", "Novemba", "Desemba"
            ]
        );
    }
}
