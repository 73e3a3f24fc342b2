//! [`Language`] and how a request chooses one: an explicit `?lang=` first, then the remembered
//! choice (a cookie), then the browser's `Accept-Language` (q-values honoured), else English.

use fluent_templates::LanguageIdentifier;
use fluent_templates::langid;

/// A language wetech speaks to customers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English, the default.
    #[default]
    En,
    /// Swahili (Kiswahili).
    Sw,
}

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 2] = [Language::En, Language::Sw];

    /// The code used in `<html lang>`, in `?lang=`, in the cookie and in the database: `en`, `sw`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Sw => "sw",
        }
    }

    /// The language's name in itself (for the language switch).
    #[must_use]
    pub const fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Sw => "Kiswahili",
        }
    }

    /// Fluent's identifier of the language.
    #[must_use]
    pub fn identifier(self) -> LanguageIdentifier {
        match self {
            Language::En => langid!("en"),
            Language::Sw => langid!("sw"),
        }
    }

    /// Exactly `en` or `sw` (the stored value, `?lang=`, the cookie); anything else is `None`.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// A language tag as browsers send it (`sw`, `sw-TZ`, `EN-gb`): its primary subtag, any case.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The best of our languages for an `Accept-Language` header: the highest q-value wins, the
    /// earlier entry on a tie; `q=0` means "not this one"; `*` and languages we lack pick nothing.
    #[must_use]
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut best: Option<(u16, Language)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let Some(language) = parts.next().and_then(Language::from_tag) else {
                continue;
            };
            let mut quality = 1000;
            for param in parts {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    quality = parse_quality(value.trim()).unwrap_or(0);
                }
            }
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map(|(_, language)| language)
    }

    /// The choice rule of docs/interface.md, "Language": a known `?lang=` value, else the cookie's,
    /// else `Accept-Language`, else English. Unknown values are ignored.
    #[must_use]
    pub fn choose(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Language {
        query
            .and_then(Language::from_code)
            .or_else(|| cookie.and_then(Language::from_code))
            .or_else(|| accept.and_then(Language::from_accept_language))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A q-value (`1`, `0.8`, `0.125`) in thousandths; `None` when it is not one.
fn parse_quality(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for l in Language::ALL {
            assert_eq!(Language::from_code(l.code()), Some(l));
        }
        assert_eq!(Language::from_code("fr"), None);
        assert_eq!(Language::from_code("SW"), None, "stored values are exact");
        assert_eq!(Language::from_tag("sw-TZ"), Some(Language::Sw));
        assert_eq!(Language::from_tag("EN-gb"), Some(Language::En));
        assert_eq!(Language::from_tag("swa"), None);
    }

    #[test]
    fn accept_language_honours_q_values() {
        let al = Language::from_accept_language;
        assert_eq!(al("sw-TZ"), Some(Language::Sw));
        assert_eq!(al("sw;q=0.9,en;q=0.8"), Some(Language::Sw));
        assert_eq!(al("en;q=0.8, sw;q=0.9"), Some(Language::Sw));
        assert_eq!(al("fr-FR, sw;q=0.5, en;q=0.4"), Some(Language::Sw));
        assert_eq!(al("en, sw"), Some(Language::En), "the earlier wins a tie");
        assert_eq!(al("sw;q=0, en;q=0.1"), Some(Language::En), "q=0 refuses");
        assert_eq!(al("sw;q=0.000"), None);
        assert_eq!(al("fr, de;q=0.9, *;q=0.1"), None);
        assert_eq!(al("sw;q=2"), None, "a bad q-value counts as 0");
        assert_eq!(al(""), None);
        assert_eq!(al("sw;Q=1.000"), Some(Language::Sw));
    }

    #[test]
    fn the_choice_prefers_query_then_cookie_then_header() {
        use Language::{En, Sw};
        assert_eq!(Language::choose(Some("sw"), Some("en"), Some("en")), Sw);
        assert_eq!(Language::choose(Some("xx"), Some("sw"), Some("en")), Sw);
        assert_eq!(Language::choose(None, Some("en"), Some("sw")), En);
        assert_eq!(Language::choose(None, Some("klingon"), Some("sw")), Sw);
        assert_eq!(Language::choose(None, None, Some("fr, sw;q=0.2")), Sw);
        assert_eq!(Language::choose(None, None, Some("fr")), En);
        assert_eq!(Language::choose(None, None, None), En);
    }
}
