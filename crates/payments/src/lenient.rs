//! Tolerant readers for gateway JSON: strings that may be numbers, numbers that may be strings,
//! and exact decimal amounts taken from the JSON text itself (never through `f64`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::money::{Currency, Money, MoneyError};

/// `"200"`, `200`, `true` → `Some("200")`, `Some("200")`, `Some("true")`; null or missing → `None`;
/// objects and arrays → `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(
        &Option::<Value>::deserialize(d)?.unwrap_or(Value::Null),
    ))
}

/// `1`, `"1"` → `Some(1)`; anything else → `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `true`, `"true"` → `Some(true)`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Bool(b)) => Some(b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

pub(crate) fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The decimal text of a raw JSON amount: a number's own digits, or a string's content.
pub(crate) fn raw_decimal_text(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text)
            .ok()
            .map(|s| s.trim().to_owned())
    } else if text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !text.is_empty()
    {
        Some(text.to_owned())
    } else {
        None
    }
}

/// Reads an exact amount from a raw JSON value.
pub(crate) fn raw_money(raw: &RawValue, currency: Currency) -> Result<Money, MoneyError> {
    let text = raw_decimal_text(raw)
        .ok_or_else(|| MoneyError::NotADecimal(raw.get().chars().take(40).collect()))?;
    Money::parse_decimal(&text, currency)
}

/// A JSON number written from exact digits (`500000.00`), for gateways that want a number.
pub(crate) fn json_number(text: String) -> Option<Box<RawValue>> {
    RawValue::from_string(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_digits() {
        let raw: Box<RawValue> = serde_json::from_str("500000.35").unwrap();
        assert_eq!(raw_money(&raw, Currency::TZS).unwrap().minor(), 50_000_035);
        let raw: Box<RawValue> = serde_json::from_str("\"100.00\"").unwrap();
        assert_eq!(raw_money(&raw, Currency::TZS).unwrap().minor(), 10_000);
        let raw: Box<RawValue> = serde_json::from_str("1e3").unwrap();
        assert!(raw_money(&raw, Currency::TZS).is_err());
        let raw: Box<RawValue> = serde_json::from_str("{}").unwrap();
        assert!(raw_money(&raw, Currency::TZS).is_err());
        assert_eq!(json_number("500000.00".into()).unwrap().get(), "500000.00");
    }
}
