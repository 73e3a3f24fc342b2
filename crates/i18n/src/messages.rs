//! Looking up a message of `locales/{en,sw}/*.ftl` for a [`Language`], with or without arguments.
//! `key.attribute` names an attribute. A key that is missing everywhere comes back as the key
//! itself (visible on the page, and the key-set test of `tests/locales.rs` keeps the languages
//! equal, so Swahili never silently falls back to English).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::Loader as _;
use fluent_templates::fluent_bundle::FluentValue;

use crate::Language;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Arguments are our own plain text; no bidirectional isolation marks around them.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

impl Language {
    /// The message `key` in this language.
    #[must_use]
    pub fn text(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.identifier(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with its `{ $name }` arguments.
    #[must_use]
    pub fn text_with(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.identifier(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether `key` exists in this language (e.g. a currency's local symbol).
    #[must_use]
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(&self.identifier(), key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_differ_by_language_and_take_arguments() {
        assert_eq!(
            Language::En.text("pay-submit"),
            "Send payment request to my phone"
        );
        assert_eq!(
            Language::Sw.text("pay-submit"),
            "Tuma ombi la malipo kwenye simu yangu"
        );
        let wait =
            |l: Language| l.text_with("error-rate-limited", &[("seconds", FluentValue::from(30))]);
        assert!(
            wait(Language::En).contains("wait 30 seconds"),
            "{}",
            wait(Language::En)
        );
        assert!(
            wait(Language::Sw).contains("sekunde 30"),
            "{}",
            wait(Language::Sw)
        );
        assert_eq!(Language::Sw.text("no-such-key"), "no-such-key");
        assert!(!Language::En.has("no-such-key"));
    }

    #[test]
    fn attributes_are_looked_up_with_a_dot() {
        assert_eq!(
            Language::En.text("lead-message.hint"),
            "(optional, up to 2000 characters)"
        );
        assert_eq!(
            Language::Sw.text("lead-message.hint"),
            "(si lazima, hadi herufi 2000)"
        );
    }
}
