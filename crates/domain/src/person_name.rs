//! [`PersonName`]: a client's name as they write it, in any script.

use crate::text::{LineProblem, check_line, string_value_impls};

/// The longest name accepted, in characters (Unicode scalar values, not bytes).
pub const MAX_PERSON_NAME_CHARS: usize = 120;

/// Why a string is not an acceptable person name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    /// Nothing but whitespace.
    #[error("name is empty")]
    Empty,
    /// More than [`MAX_PERSON_NAME_CHARS`] characters.
    #[error("name is longer than {MAX_PERSON_NAME_CHARS} characters")]
    TooLong,
    /// A control character, line break or bidirectional override.
    #[error("name must not contain control characters or line breaks (found {0:?})")]
    ForbiddenCharacter(char),
    /// No letter at all (only digits or punctuation).
    #[error("name must contain at least one letter")]
    NoLetter,
}

/// A person's name: trimmed, 1–120 characters, at least one letter, no control characters, line
/// breaks or bidirectional overrides. Any script is accepted ("Zuhura Mwanaidi", "Nafisa Ḥāmid",
/// "أحمد بن علي", "李小龍"); nothing is re-cased or re-ordered. HTML characters such as `<` are
/// kept as typed: escaping is the job of whoever renders the name.
///
/// ```
/// use wetech_domain::PersonName;
/// assert_eq!(PersonName::parse("  Zuhura Mwanaidi ").unwrap().as_str(), "Zuhura Mwanaidi");
/// assert!(PersonName::parse("   ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Trims and validates a name.
    ///
    /// ```
    /// use wetech_domain::{PersonName, PersonNameError};
    /// assert_eq!(PersonName::parse("Juma\u{7}"), Err(PersonNameError::ForbiddenCharacter('\u{7}')));
    /// assert_eq!(PersonName::parse(&"a".repeat(121)), Err(PersonNameError::TooLong));
    /// ```
    pub fn parse(input: &str) -> Result<Self, PersonNameError> {
        let s = input.trim();
        check_line(s, MAX_PERSON_NAME_CHARS).map_err(|p| match p {
            LineProblem::Empty => PersonNameError::Empty,
            LineProblem::TooLong => PersonNameError::TooLong,
            LineProblem::Forbidden(c) => PersonNameError::ForbiddenCharacter(c),
        })?;
        if !s.chars().any(char::is_alphabetic) {
            return Err(PersonNameError::NoLetter);
        }
        Ok(PersonName(s.to_owned()))
    }

    /// The name as stored and shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value_impls!(PersonName, PersonNameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_in_any_script_are_kept_as_typed() {
        for name in [
            "Zuhura Mwanaidi",
            "Nafisa Ḥāmid",
            "Ólafur",
            "أحمد بن علي",
            "李小龍",
            "Mwanaisha Bakari-Ng'wana",
            "J. R. R. Tolkien",
            "Nafisa H\u{323}a\u{304}mid", // decomposed: H + combining dot below, a + macron
            "O'Brien <b>",
            "X",
        ] {
            assert_eq!(PersonName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let swahili_120 = "ā".repeat(120);
        assert_eq!(swahili_120.len(), 240);
        assert!(PersonName::parse(&swahili_120).is_ok());
        assert_eq!(
            PersonName::parse(&"ā".repeat(121)),
            Err(PersonNameError::TooLong)
        );
        let arabic_120: String = "أحمد ".chars().cycle().take(119).chain(['ب']).collect();
        assert_eq!(arabic_120.chars().count(), 120);
        assert!(PersonName::parse(&arabic_120).is_ok());
        assert!(PersonName::parse(&format!("{arabic_120}ب")).is_err());
        // Surrounding whitespace does not count.
        assert!(PersonName::parse(&format!("  {}  ", "a".repeat(120))).is_ok());
        assert!(PersonName::parse(&"a".repeat(1_000_000)).is_err());
    }

    #[test]
    fn control_characters_and_empty_names_are_refused() {
        use PersonNameError as E;
        for (input, expected) in [
            ("", E::Empty),
            (" \t\n ", E::Empty),
            ("Juma\nAli", E::ForbiddenCharacter('\n')),
            ("Juma\u{0}", E::ForbiddenCharacter('\u{0}')),
            ("Juma\u{1b}[31m", E::ForbiddenCharacter('\u{1b}')),
            ("Juma\u{202E}ilA", E::ForbiddenCharacter('\u{202E}')),
            ("Juma\u{2028}Ali", E::ForbiddenCharacter('\u{2028}')),
            ("12345", E::NoLetter),
            ("---", E::NoLetter),
        ] {
            assert_eq!(PersonName::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        let n: PersonName = serde_json::from_str("\" أحمد بن علي \"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"أحمد بن علي\"");
        assert!(serde_json::from_str::<PersonName>("\"\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(input in "\\PC{1,120}") {
            if let Ok(n) = PersonName::parse(&input) {
                prop_assert_eq!(n.as_str(), input.trim());
                prop_assert_eq!(PersonName::parse(n.as_str()).unwrap(), n.clone());
                prop_assert_eq!(PersonName::parse(&format!("{n}")).unwrap(), n);
            }
        }

        #[test]
        fn letters_in_any_script_are_accepted(input in "[\\p{L}][\\p{L}\\p{M} '.-]{0,118}") {
            let n = PersonName::parse(&input).unwrap();
            prop_assert!(n.as_str().chars().count() <= MAX_PERSON_NAME_CHARS);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            if let Ok(n) = PersonName::parse(&input) {
                prop_assert!(!n.as_str().chars().any(char::is_control));
            }
        }

        #[test]
        fn never_panics_on_huge_input(input in "\\PC{100,3000}") {
            let _ = PersonName::parse(&input);
        }
    }
}
