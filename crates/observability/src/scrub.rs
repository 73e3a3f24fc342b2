//! Scrubbing of free text that leaves the process in an error report: e-mail addresses and
//! phone numbers masked (as in the logs), secrets and URL query strings replaced.

use crate::mask::{mask_email, mask_phone};

/// What a secret value is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// Words that name a secret when they appear as a key (`token=…`, `"password": "…"`,
/// `Authorization: Bearer …`); matched case-insensitively as a part of the key.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "token",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "api-key",
    "authorization",
    "cookie",
    "dsn",
    "signature",
    "credential",
    "consumer_key",
    "client_id",
];

/// Words after which the next word is a credential (`Bearer abc…`).
const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "token"];

/// Path segments after which the next segment is a secret (the AzamPay callback token).
const SECRET_PATH_PREFIXES: &[&str] = &["/callback/"];

/// `text` with every e-mail address and phone number masked, every value of a secret-looking
/// key, every credential after an authorization scheme, every URL's query string and user
/// information, and every callback token in a path replaced by [`REDACTED`].
///
/// ```
/// use wetech_observability::scrub_text;
/// let s = scrub_text("mail juma.ali@example.co.tz on +255 754 123 456, token=abc123");
/// assert_eq!(s, "mail j***@example.co.tz on +255******456, token=[REDACTED]");
/// ```
#[must_use]
pub fn scrub_text(text: &str) -> String {
    let phones_masked = mask_phone_runs(text);
    let mut out = String::with_capacity(phones_masked.len());
    let mut redact_next = false;
    for piece in split_keep_whitespace(&phones_masked) {
        if piece.chars().all(char::is_whitespace) {
            out.push_str(piece);
            continue;
        }
        if redact_next {
            if is_auth_scheme(piece) {
                // `Authorization: Bearer …`: the credential is the word after the scheme.
                out.push_str(piece);
                continue;
            }
            out.push_str(&redact_word(piece));
            redact_next = false;
            continue;
        }
        let (scrubbed, next) = scrub_word(piece);
        out.push_str(&scrubbed);
        redact_next = next;
    }
    out
}

fn is_auth_scheme(word: &str) -> bool {
    let (_, core, _) = trim_punct(word);
    AUTH_SCHEMES.contains(&core.to_ascii_lowercase().as_str())
}

/// A word's leading and trailing punctuation kept, its core replaced.
fn redact_word(word: &str) -> String {
    let (lead, core, trail) = trim_punct(word);
    if core.is_empty() {
        return word.to_owned();
    }
    format!("{lead}{REDACTED}{trail}")
}

/// Scrubs one whitespace-free word; the flag says whether the next word is a secret.
fn scrub_word(word: &str) -> (String, bool) {
    let (lead, core, trail) = trim_punct(word);
    let lower = core.to_ascii_lowercase();
    if is_auth_scheme(word) {
        return (word.to_owned(), true);
    }
    // `key:` or `"key":` alone: the value follows as the next word.
    if let Some(key) = lower
        .strip_suffix(':')
        .or_else(|| (trail.starts_with(':') || trail.starts_with("\":")).then_some(lower.as_str()))
        && is_secret_key(key)
    {
        return (word.to_owned(), true);
    }
    if core.contains("://") || core.starts_with('/') {
        return (format!("{lead}{}{trail}", scrub_url(core)), false);
    }
    if let Some(pos) = core
        .find('=')
        .or_else(|| core.find(':').filter(|_| !core.contains("://")))
    {
        let (key, value) = core.split_at(pos);
        if is_secret_key(&key.to_ascii_lowercase()) && value.len() > 1 {
            return (
                format!("{lead}{key}{}{REDACTED}{trail}", &value[..1]),
                false,
            );
        }
    }
    if core.contains('@')
        && core
            .rsplit_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        return (format!("{lead}{}{trail}", mask_email(core)), false);
    }
    (word.to_owned(), false)
}

fn is_secret_key(key: &str) -> bool {
    let key = key.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-');
    !key.is_empty() && SECRET_KEYS.iter().any(|s| key.contains(s))
}

/// A URL or path without its query string, fragment and user information, and with the
/// segment after a secret path prefix replaced.
fn scrub_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(q) = out.find(['?', '#']) {
        out.truncate(q);
        out.push('?');
        out.push_str(REDACTED);
    }
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find('/').map_or(out.len(), |p| rest + p);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            out.replace_range(rest..rest + at + 1, "");
        }
    }
    for prefix in SECRET_PATH_PREFIXES {
        if let Some(start) = out.find(prefix) {
            let from = start + prefix.len();
            let to = out[from..].find(['/', '?']).map_or(out.len(), |p| from + p);
            // `{token}` is a route pattern's placeholder, not a token.
            if to > from && &out[from..to] != REDACTED && !out[from..].starts_with('{') {
                out.replace_range(from..to, REDACTED);
            }
        }
    }
    out
}

/// Splits around punctuation that commonly wraps a word in messages and JSON.
fn trim_punct(word: &str) -> (&str, &str, &str) {
    let is_punct = |c: char| {
        matches!(
            c,
            '"' | '\'' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';' | '`'
        )
    };
    let start = word.len() - word.trim_start_matches(is_punct).len();
    let trimmed = &word[start..];
    let core_len = trimmed
        .trim_end_matches(|c: char| is_punct(c) || c == '.' || c == ':')
        .len();
    // Keep `key:` patterns visible to the caller through `trail`.
    (&word[..start], &trimmed[..core_len], &trimmed[core_len..])
}

fn split_keep_whitespace(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_space: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            pieces.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// Masks runs that read as a phone number: a `+` or a digit, then digits with single spaces or
/// hyphens between groups, 9 to 15 digits in all, starting with `+`, `0` or `255` (East-African
/// numbers and any international one). Shorter runs (dates, amounts) are left alone.
fn mask_phone_runs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary && (bytes[i] == b'+' || bytes[i].is_ascii_digit()) {
            let end = phone_run_end(bytes, i);
            let run = &text[i..end];
            let digits: String = run.chars().filter(char::is_ascii_digit).collect();
            let after_ok = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
            let looks_like_phone = (9..=15).contains(&digits.len())
                && (run.starts_with('+') || digits.starts_with('0') || digits.starts_with("255"))
                && after_ok;
            if looks_like_phone {
                out.push_str(&text[copied..i]);
                out.push_str(&mask_phone(run));
                copied = end;
                i = end;
                continue;
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// The end of a run starting at `start`: digits, with one space or hyphen allowed between two
/// digits, after an optional leading `+`.
fn phone_run_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    if bytes[i] == b'+' {
        i += 1;
    }
    let mut end = i;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            i += 1;
            end = i;
        } else if matches!(bytes[i], b' ' | b'-')
            && i > start
            && bytes[i - 1].is_ascii_digit()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 1;
        } else {
            break;
        }
    }
    end.max(start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_are_masked() {
        assert_eq!(
            scrub_text("lead from juma.ali@example.co.tz failed"),
            "lead from j***@example.co.tz failed"
        );
        assert_eq!(scrub_text("<asha@example.com>"), "<a***@example.com>");
        for phone in [
            "+255754123456",
            "255754123456",
            "0754123456",
            "+255 754 123 456",
            "0754-123-456",
        ] {
            let s = scrub_text(&format!("phone {phone}."));
            assert!(
                !s.contains("754123") && !s.contains("754 123") && !s.contains("754-123"),
                "{phone}: {s}"
            );
            assert!(s.ends_with("456."), "{s}");
        }
    }

    #[test]
    fn dates_amounts_and_ids_are_kept() {
        for keep in [
            "2026-12-03 08:43:44",
            "TZS 500000.00",
            "INV-2026-000042",
            "status 500 on /api/v1/invoices/{id}",
            "attempt 12345678",
        ] {
            assert_eq!(scrub_text(keep), keep);
        }
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(scrub_text("token=abc123 ok"), "token=[REDACTED] ok");
        assert_eq!(
            scrub_text("client_secret: s3cr3t"),
            "client_secret: [REDACTED]"
        );
        assert_eq!(
            scrub_text(r#"{"password": "hunter22"}"#),
            r#"{"password": "[REDACTED]"}"#
        );
        assert_eq!(
            scrub_text("Authorization: Bearer eyJhbGci.x.y"),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(
            scrub_text("GET https://user:pw@host.example/p?api_key=k&x=1 failed"),
            "GET https://host.example/p?[REDACTED] failed"
        );
        assert_eq!(
            scrub_text("POST /payments/azampay/callback/Sup3rSecretToken"),
            "POST /payments/azampay/callback/[REDACTED]"
        );
        assert_eq!(
            scrub_text("route /payments/azampay/callback/{token}"),
            "route /payments/azampay/callback/{token}"
        );
    }
}
