//! Masking of personal data for logs: e-mail addresses and phone numbers.
//!
//! Log an address or number only through these helpers, e.g.
//! `tracing::info!(email = %Masked::email(&email), "lead received")`.
//! They never panic, accept any input, and a value that does not look like an address or a phone
//! number is replaced entirely by [`MASK`].

use std::fmt;

/// What a malformed value is replaced by.
pub const MASK: &str = "***";

/// Longest input `mask_phone` looks at; longer values are malformed (E.164 has at most 15 digits).
const MAX_PHONE_INPUT: usize = 32;
/// Longest domain kept by `mask_email` (RFC 1035).
const MAX_DOMAIN: usize = 253;
/// Digits kept at the end of a phone number.
const PHONE_TAIL: usize = 3;
/// At least this many digits are always hidden.
const MIN_HIDDEN_DIGITS: usize = 4;

/// Masks an e-mail address: the first character of the local part (when it is a letter or digit
/// and the local part is longer than one character), `***`, then `@` and the domain.
///
/// ```
/// use wetech_observability::mask_email;
/// assert_eq!(mask_email("juma.ali@example.co.tz"), "j***@example.co.tz");
/// assert_eq!(mask_email("x@example.com"), "***@example.com");
/// assert_eq!(mask_email("not an address"), "***");
/// ```
#[must_use]
pub fn mask_email(value: &str) -> String {
    let value = value.trim();
    let Some((local, domain)) = value.rsplit_once('@') else {
        return MASK.to_owned();
    };
    if local.is_empty() || !looks_like_domain(domain) {
        return MASK.to_owned();
    }
    let mut chars = local.chars();
    let first = chars
        .next()
        .filter(|c| c.is_alphanumeric() && chars.next().is_some());
    let mut out = String::with_capacity(domain.len() + 8);
    out.extend(first);
    out.push_str(MASK);
    out.push('@');
    out.push_str(domain);
    out
}

fn looks_like_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= MAX_DOMAIN
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Masks a phone number: keeps the leading `+` and country code (or the trunk `0` of a national
/// number, or the country code of an international number written without `+`) and the last
/// three digits; every other digit becomes `*`. Spaces, dashes, dots and parentheses are dropped.
/// Anything that is not 7–15 digits after that is replaced by `***`.
///
/// ```
/// use wetech_observability::mask_phone;
/// assert_eq!(mask_phone("+255754123456"), "+255******456");
/// assert_eq!(mask_phone("+255 754 123 456"), "+255******456");
/// assert_eq!(mask_phone("255754123456"), "255******456");
/// assert_eq!(mask_phone("0754123456"), "0******456");
/// assert_eq!(mask_phone("+1 202 555 0147"), "+1*******147");
/// assert_eq!(mask_phone("call me"), "***");
/// ```
#[must_use]
pub fn mask_phone(value: &str) -> String {
    let value = value.trim();
    if value.len() > MAX_PHONE_INPUT {
        return MASK.to_owned();
    }
    let (plus, rest) = match value.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let digits: String = rest
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return MASK.to_owned();
    }
    let head = if plus || (digits.len() >= 11 && !digits.starts_with('0')) {
        country_code_len(&digits)
    } else if digits.starts_with('0') {
        1
    } else {
        0
    };
    let hidden = digits.len().saturating_sub(head + PHONE_TAIL);
    if hidden < MIN_HIDDEN_DIGITS {
        return MASK.to_owned();
    }
    // All ASCII digits from here on: byte indexing is on character boundaries.
    let mut out = String::with_capacity(digits.len() + 1);
    if plus {
        out.push('+');
    }
    out.push_str(&digits[..head]);
    out.extend(std::iter::repeat_n('*', hidden));
    out.push_str(&digits[head + hidden..]);
    out
}

/// Length of the ITU-T E.164 country code that starts `digits` (1, 2 or 3 digits).
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.iter().any(|cc| digits.starts_with(cc)) {
        2
    } else {
        3
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Email,
    Phone,
}

/// A value that displays masked: `email = %Masked::email(&email)` in a tracing macro.
///
/// `Display` and `Debug` both print the masked form, so `?Masked::…` is safe too.
///
/// ```
/// use wetech_observability::Masked;
/// let email = String::from("juma.ali@example.co.tz");
/// assert_eq!(Masked::email(&email).to_string(), "j***@example.co.tz");
/// assert_eq!(format!("{:?}", Masked::phone("+255754123456")), "+255******456");
/// ```
#[derive(Clone, Copy)]
pub struct Masked<T> {
    value: T,
    kind: Kind,
}

impl<T: AsRef<str>> Masked<T> {
    /// Displays as [`mask_email`] of `value`.
    pub fn email(value: T) -> Self {
        Self {
            value,
            kind: Kind::Email,
        }
    }

    /// Displays as [`mask_phone`] of `value`.
    pub fn phone(value: T) -> Self {
        Self {
            value,
            kind: Kind::Phone,
        }
    }
}

impl<T: AsRef<str>> fmt::Display for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.as_ref();
        match self.kind {
            Kind::Email => f.write_str(&mask_email(value)),
            Kind::Phone => f.write_str(&mask_phone(value)),
        }
    }
}

impl<T: AsRef<str>> fmt::Debug for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_table() {
        let cases = [
            ("juma.ali@example.co.tz", "j***@example.co.tz"),
            ("  Juma@Example.COM ", "J***@Example.COM"),
            ("ab@x.io", "a***@x.io"),
            ("a@x.io", "***@x.io"),
            ("_hidden@x.io", "***@x.io"),
            ("émile@exämple.fr", "é***@exämple.fr"),
            ("a@b@example.com", "a***@example.com"),
            ("\"quoted@local\"@example.com", "***@example.com"),
            ("", "***"),
            ("@", "***"),
            ("@example.com", "***"),
            ("juma@", "***"),
            ("juma", "***"),
            ("juma@exa mple.com", "***"),
            ("juma@example..com", "***"),
            ("juma@.example.com", "***"),
            ("juma@-example.com", "***"),
            ("juma@example.com\n{\"level\":50}", "***"),
            ("juma@exa\u{0}mple.com", "***"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_email(input), expected, "{input:?}");
        }
        let long_domain = format!("juma@{}.com", "a".repeat(300));
        assert_eq!(mask_email(&long_domain), "***");
    }

    #[test]
    fn phone_table() {
        let cases = [
            ("+255754123456", "+255******456"),
            ("+255 754-123.456", "+255******456"),
            ("+254 (712) 345678", "+254******678"),
            ("+256772123456", "+256******456"),
            ("255754123456", "255******456"),
            ("0754123456", "0******456"),
            ("754123456", "******456"),
            ("+44 20 7946 0958", "+44*******958"),
            ("+12025550147", "+1*******147"),
            ("+7 912 345 67 89", "+7*******789"),
            ("", "***"),
            ("+", "***"),
            ("123456", "***"),
            ("+2551234", "***"),
            ("+25575412345678901", "***"),
            ("+255 754 abc 456", "***"),
            ("+255+754123456", "***"),
            ("٠٧٥٤١٢٣٤٥٦", "***"),
            ("07541234５6", "***"),
            ("juma@example.com", "***"),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_phone(input), expected, "{input:?}");
        }
        assert_eq!(mask_phone(&"1".repeat(10_000)), "***");
    }

    #[test]
    fn masked_wrappers_work_with_owned_borrowed_and_str() {
        let owned = String::from("juma.ali@example.co.tz");
        assert_eq!(format!("{}", Masked::email(&owned)), "j***@example.co.tz");
        assert_eq!(
            format!("{}", Masked::email(owned.as_str())),
            "j***@example.co.tz"
        );
        assert_eq!(format!("{:?}", Masked::email(owned)), "j***@example.co.tz");
        assert_eq!(
            format!("{}", Masked::phone(String::from("0754123456"))),
            "0******456"
        );
    }

    fn digit_count(s: &str) -> usize {
        s.chars().filter(char::is_ascii_digit).count()
    }

    proptest! {
        #[test]
        fn mask_email_never_panics_and_stays_bounded(s in any::<String>()) {
            let out = mask_email(&s);
            prop_assert!(out.len() <= MAX_DOMAIN + 8);
            prop_assert!(out == MASK || out.contains("***@"));
        }

        #[test]
        fn mask_email_hides_all_but_the_first_character_of_the_local_part(
            local in "[a-z0-9][a-z0-9._%+-]{1,40}",
            domain in "[a-z0-9]{1,20}(\\.[a-z]{2,6}){1,2}",
        ) {
            let out = mask_email(&format!("{local}@{domain}"));
            let first = local.chars().next().unwrap_or('?');
            prop_assert_eq!(out, format!("{first}***@{domain}"));
        }

        #[test]
        fn mask_email_without_at_reveals_nothing(s in "[^@]*") {
            prop_assert_eq!(mask_email(&s), MASK);
        }

        #[test]
        fn mask_phone_never_panics_and_reveals_at_most_six_digits(s in any::<String>()) {
            let out = mask_phone(&s);
            prop_assert!(out.chars().all(|c| c == '+' || c == '*' || c.is_ascii_digit()));
            prop_assert!(digit_count(&out) <= 6, "{} -> {}", s, out);
            prop_assert!(out.chars().filter(|&c| c == '*').count() >= 3);
        }

        #[test]
        fn mask_phone_on_digit_soup_reveals_at_most_six_digits(s in "[+0-9 ()-]{0,40}") {
            let out = mask_phone(&s);
            prop_assert!(digit_count(&out) <= 6, "{} -> {}", s, out);
        }

        #[test]
        fn mask_phone_never_returns_the_middle_digits(
            cc in prop::sample::select(vec!["1", "7", "44", "27", "255", "254", "256", "250"]),
            middle in "[0-9]{4,9}",
            tail in "[0-9]{3}",
        ) {
            let out = mask_phone(&format!("+{cc}{middle}{tail}"));
            prop_assert_eq!(&out, &format!("+{cc}{}{tail}", "*".repeat(middle.len())));
        }
    }
}
