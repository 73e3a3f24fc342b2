//! Target `domain`: every parser of `wetech-domain`, and the decimal money parsing of
//! `wetech-payments`, chosen by a selector byte.
//!
//! Input: one byte (which parser), one byte (the currency, for money), then the text.
//! Properties: parsing what a value shows gives the value again, deserialising the text as a
//! JSON string agrees with parsing it, a phone number is E.164 and an amount is never negative.

use std::fmt::Debug;
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wetech_domain::{
    CompanyName, Currency, EmailAddress, Gateway, IdempotencyKey, InvoiceNumber, LeadMessage,
    MerchantReference, Money, PersonName, PhoneNumber, PublicId, ServiceCode,
};

use crate::input::{Input, text};

/// Parses one text with the parser the first byte chooses.
pub fn domain(data: &[u8]) {
    let mut input = Input::new(data);
    let selector = input.byte();
    let currency_byte = input.byte();
    let text = text(input.rest());
    match selector % 14 {
        0 => {
            if let Some(e) = round_trip::<EmailAddress>(&text) {
                assert_eq!(format!("{}@{}", e.local_part(), e.domain()), e.as_str());
                assert_eq!(e.domain(), e.domain().to_ascii_lowercase());
            }
        }
        1 => {
            if let Some(p) = round_trip::<PhoneNumber>(&text) {
                check_e164(&p);
            }
        }
        2 => drop(round_trip::<PersonName>(&text)),
        3 => drop(round_trip::<CompanyName>(&text)),
        4 => drop(round_trip::<ServiceCode>(&text)),
        5 => {
            if let Some(c) = round_trip::<Currency>(&text) {
                assert!(Currency::ALL.contains(&c));
            }
        }
        6 => {
            let currency = Currency::ALL[usize::from(currency_byte) % Currency::ALL.len()];
            domain_money(&text, currency);
        }
        7 => {
            if let Some(n) = round_trip::<InvoiceNumber>(&text) {
                assert_eq!(InvoiceNumber::new(n.year(), n.sequence()).ok(), Some(n));
            }
        }
        8 => drop(round_trip::<PublicId>(&text)),
        9 => drop(round_trip::<MerchantReference>(&text)),
        10 => drop(round_trip::<IdempotencyKey>(&text)),
        11 => drop(round_trip::<LeadMessage>(&text)),
        12 => {
            if let Ok(g) = Gateway::from_str(&text) {
                assert_eq!(Gateway::from_str(g.as_str()).ok(), Some(g));
            }
        }
        _ => payments_money(&text, currency_byte),
    }
}

/// Parses `text`; a value parses again from what it shows, and JSON agrees with the parser.
fn round_trip<T>(text: &str) -> Option<T>
where
    T: FromStr + AsRef<str> + Serialize + DeserializeOwned + PartialEq + Debug,
    T::Err: Debug,
{
    let parsed = T::from_str(text);
    let from_json = serde_json::from_value::<T>(serde_json::Value::String(text.to_owned()));
    assert_eq!(
        parsed.as_ref().ok(),
        from_json.as_ref().ok(),
        "JSON and parse disagree"
    );
    let value = parsed.ok()?;
    let shown = value.as_ref();
    assert_eq!(
        T::from_str(shown).ok().as_ref(),
        Some(&value),
        "{shown:?} parses differently"
    );
    assert_eq!(
        serde_json::to_value(&value).ok(),
        Some(serde_json::Value::String(shown.to_owned()))
    );
    Some(value)
}

/// `+`, the country's calling code, then digits: at most 15 in all.
fn check_e164(p: &PhoneNumber) {
    let e164 = p.as_str();
    let digits = e164
        .strip_prefix('+')
        .unwrap_or_else(|| panic!("{e164} lacks its +"));
    assert!(
        digits.bytes().all(|b| b.is_ascii_digit()),
        "{e164} is not all digits"
    );
    assert!(
        (8..=15).contains(&digits.len()),
        "{e164} has a wrong length"
    );
    assert!(
        digits.starts_with(p.country().calling_code()),
        "{e164} is not of {:?}",
        p.country()
    );
    assert_eq!(p.msisdn(), digits);
}

fn domain_money(text: &str, currency: Currency) {
    let Ok(m) = Money::parse_decimal(text, currency) else {
        return;
    };
    assert!(m.minor() >= 0, "negative amount");
    assert_eq!(m.currency(), currency);
    let shown = m.to_decimal_string();
    assert_eq!(
        Money::parse_decimal(&shown, currency).ok(),
        Some(m),
        "{shown} reads back differently"
    );
    let json = serde_json::to_value(m).unwrap_or_else(|e| panic!("money to JSON: {e}"));
    assert_eq!(
        serde_json::from_value::<Money>(json).ok(),
        Some(m),
        "money JSON round trip"
    );
}

fn payments_money(text: &str, currency_byte: u8) {
    use wetech_payments::{Currency, Money};
    let currencies = [Currency::TZS, Currency::KES, Currency::UGX, Currency::USD];
    let currency = currencies[usize::from(currency_byte) % currencies.len()];
    let Ok(m) = Money::parse_decimal(text, currency) else {
        return;
    };
    let shown = m.to_decimal_string();
    assert_eq!(
        Money::parse_decimal(&shown, currency).ok(),
        Some(m),
        "{shown} reads back differently"
    );
    let compact = m.to_compact_decimal_string();
    assert_eq!(
        Money::parse_decimal(&compact, currency).ok(),
        Some(m),
        "{compact} reads back differently"
    );
}
