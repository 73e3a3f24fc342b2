//! Private helpers shared by the text value types: the common trait impls and the character rules.

/// Characters refused in every one-line text value: control characters (Unicode category Cc),
/// the line and paragraph separators, and the bidirectional embedding/override/isolate controls
/// (which can make displayed text read differently from what is stored, "Trojan Source").
pub(crate) fn is_forbidden_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `s` has more than `max` characters (stops counting at `max + 1`).
pub(crate) fn longer_than(s: &str, max: usize) -> bool {
    s.chars().nth(max).is_some()
}

/// The common impls of a string-backed value type: `Display`, `AsRef<str>`, `FromStr`,
/// `TryFrom<&str>`, `TryFrom<String>`, `From<T> for String`, `Serialize` (as its string) and
/// `Deserialize` (through `parse`, so invalid values are refused while deserialising).
///
/// The type must have `fn parse(&str) -> Result<Self, $err>` and `fn as_str(&self) -> &str`.
macro_rules! string_value_impls {
    ($ty:ident, $err:ty) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $ty {
            type Error = $err;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl ::std::convert::TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        /// Compares with the text form (`as_str()`), e.g. `assert_eq!(row.number, "INV-2026-000001")`.
        impl ::std::cmp::PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl ::std::cmp::PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::std::cmp::PartialEq<String> for $ty {
            fn eq(&self, other: &String) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl ::std::convert::From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_owned()
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let raw = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&raw).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

pub(crate) use string_value_impls;

/// What is wrong with a one-line text value.
#[derive(Debug)]
pub(crate) enum LineProblem {
    Empty,
    TooLong,
    Forbidden(char),
}

/// Checks an already trimmed one-line value: not empty, at most `max` characters, no character
/// refused by [`is_forbidden_in_line`].
pub(crate) fn check_line(s: &str, max: usize) -> Result<(), LineProblem> {
    if s.is_empty() {
        return Err(LineProblem::Empty);
    }
    if longer_than(s, max) {
        return Err(LineProblem::TooLong);
    }
    match s.chars().find(|c| is_forbidden_in_line(*c)) {
        Some(c) => Err(LineProblem::Forbidden(c)),
        None => Ok(()),
    }
}
