//! Strict request input: bodies of at most 64 KiB, JSON objects (or forms) read field by field, so
//! that a missing field, a field of the wrong type and an unknown field are all reported by name
//! (422); the invoice id of a path and the `Idempotency-Key` header parsed into their domain types.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use wetech_domain::{IdempotencyKey, PublicId};

use crate::error::ApiError;

/// The `{id}` segment of an invoice route, parsed. A malformed id names no invoice: 404.
pub struct InvoiceId(pub PublicId);

impl FromRequest for InvoiceId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.match_info()
                .get("id")
                .and_then(|id| PublicId::parse(id).ok())
                .map(InvoiceId)
                .ok_or_else(|| ApiError::NotFound("invoice not found".to_owned())),
        )
    }
}

/// The request's `Idempotency-Key` header, if it has one; a malformed one is a 422 naming it.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .ok_or(wetech_domain::IdempotencyKeyError)
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .map_err(|e| ApiError::field("Idempotency-Key", e.to_string()))
}

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes (413).
pub async fn read_body<S>(req: &HttpRequest, payload: &mut S) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > BODY_LIMIT as u64
    {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge,
            other => ApiError::Malformed(format!("could not read the request body: {other}")),
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// A JSON object body: `application/json`, ≤ 64 KiB, syntactically valid (else 400), an object.
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let media = media_type(&req);
            if !is_json(&media) {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".to_owned(),
                ));
            }
            let body = read_body(&req, &mut payload).await?;
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
            match value {
                Value::Object(map) => Ok(JsonObject(map)),
                _ => Err(ApiError::Malformed(
                    "the body must be a JSON object".to_owned(),
                )),
            }
        })
    }
}

/// An `application/x-www-form-urlencoded` body, ≤ 64 KiB, as a map of its fields (last value wins).
pub struct FormFields(pub Map<String, Value>);

impl FromRequest for FormFields {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if media_type(&req) != "application/x-www-form-urlencoded" {
                return Err(ApiError::UnsupportedMediaType(
                    "send the form as application/x-www-form-urlencoded".to_owned(),
                ));
            }
            let body = read_body(&req, &mut payload).await?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| ApiError::Malformed(format!("the form could not be read: {e}")))?;
            Ok(FormFields(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ))
        })
    }
}

/// The message of a required field that is missing (pages translate it by this text).
pub const REQUIRED_FIELD: &str = "this field is required";
/// The message of a field that is not expected (pages translate it by this text).
pub const UNKNOWN_FIELD: &str = "unknown field";

/// Reads named fields from an object, collecting one error per field, then refuses unknown fields.
pub struct Fields {
    obj: Map<String, Value>,
    errors: BTreeMap<String, String>,
}

impl Fields {
    /// Starts reading `obj`.
    #[must_use]
    pub fn new(obj: Map<String, Value>) -> Self {
        Self {
            obj,
            errors: BTreeMap::new(),
        }
    }

    fn take_str(&mut self, name: &str, required: bool) -> Option<String> {
        match self.obj.remove(name) {
            None | Some(Value::Null) => {
                if required {
                    self.errors
                        .insert(name.to_owned(), REQUIRED_FIELD.to_owned());
                }
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.errors
                    .insert(name.to_owned(), "must be a string".to_owned());
                None
            }
        }
    }

    /// A required string field parsed by `parse`; errors are recorded under `name`.
    pub fn required<T, E: Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = self.take_str(name, true)?;
        self.parse_raw(name, &raw, parse)
    }

    /// An optional string field; an empty or blank string counts as absent.
    pub fn optional<T, E: Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = self.take_str(name, false)?;
        if raw.trim().is_empty() {
            return None;
        }
        self.parse_raw(name, &raw, parse)
    }

    /// Removes a field without reading it (e.g. `csrf_token`, already checked).
    pub fn ignore(&mut self, name: &str) {
        self.obj.remove(name);
    }

    fn parse_raw<T, E: Display>(
        &mut self,
        name: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.insert(name.to_owned(), e.to_string());
                None
            }
        }
    }

    /// Records an error for `name` found by a later check.
    pub fn reject(&mut self, name: &str, message: impl Into<String>) {
        self.errors.insert(name.to_owned(), message.into());
    }

    /// Fails with 422 naming every bad, missing and unknown field.
    pub fn finish(mut self) -> Result<(), ApiError> {
        for key in self.obj.keys() {
            let shown: String = key.chars().take(64).collect();
            self.errors.insert(shown, UNKNOWN_FIELD.to_owned());
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation {
                message: "the request is not valid".to_owned(),
                fields: self.errors,
            })
        }
    }

    /// Unwraps values that must all be present once [`Fields::finish`] succeeded.
    pub fn all<T>(value: Option<T>) -> Result<T, ApiError> {
        value.ok_or_else(|| ApiError::internal(anyhow::anyhow!("field checked but absent")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn reports_missing_wrong_type_and_unknown_fields() {
        let mut f = Fields::new(obj(json!({"name": 5, "extra": true, "note": "  "})));
        let name: Option<String> = f.required("name", |s| Ok::<_, String>(s.to_owned()));
        let email: Option<String> = f.required("email", |s| Ok::<_, String>(s.to_owned()));
        let note: Option<String> = f.optional("note", |s| Ok::<_, String>(s.to_owned()));
        assert!(name.is_none() && email.is_none() && note.is_none());
        let Err(ApiError::Validation { fields, .. }) = f.finish() else {
            panic!("expected 422")
        };
        assert_eq!(fields["name"], "must be a string");
        assert_eq!(fields["email"], "this field is required");
        assert_eq!(fields["extra"], "unknown field");
        assert!(!fields.contains_key("note"));
    }

    #[test]
    fn parse_errors_are_named() {
        let mut f = Fields::new(obj(json!({"n": "x"})));
        let n: Option<u32> = f.required("n", str::parse::<u32>);
        assert!(n.is_none());
        let Err(ApiError::Validation { fields, .. }) = f.finish() else {
            panic!("expected 422")
        };
        assert!(fields["n"].contains("invalid digit"));
    }
}
