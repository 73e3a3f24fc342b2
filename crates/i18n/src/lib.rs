//! wetech-i18n: the languages of wetech's customer pages, receipts and e-mails — English and
//! Swahili — through Project Fluent (`fluent-templates`, the `.ftl` files of `locales/` compiled
//! into the binary).
//!
//! | module | what |
//! |---|---|
//! | [`language`] | [`Language`], the choice rule (`?lang=`, cookie, `Accept-Language`, English) |
//! | [`messages`] | looking up a message, with arguments |
//! | [`format`] | amounts and dates written for a language |
//!
//! How to add a string: docs/operations.md, "Translations".

pub mod format;
pub mod language;
pub mod messages;

pub use fluent_templates::fluent_bundle::FluentValue;
pub use format::{format_amount, format_date, format_datetime, group_thousands};
pub use language::Language;
