//! How the simulated gateways read loosely typed JSON values: a field may arrive as a string or
//! as a number, and an amount's digits are taken from the JSON text itself (never via `f64`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// The text of a scalar: a string's content, a number's digits, `true`/`false`; `None` for null,
/// arrays and objects.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Serde reader for a field that is text or a number; anything else (or absent) reads as `""`.
pub(crate) fn loose_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(scalar_text)
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// The digits of a raw JSON number as written (`500000.00`); `None` for anything that is not a
/// plain decimal number (strings, exponents, objects).
pub(crate) fn number_digits(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    (!text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-'))
    .then(|| text.to_owned())
}

/// Writes exact decimal digits as a JSON number (`500000.00` stays `500000.00`).
pub(crate) fn number(digits: String) -> Option<Box<RawValue>> {
    RawValue::from_string(digits).ok()
}
