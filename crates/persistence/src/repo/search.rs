//! The back office's search: a case-insensitive substring match, `lower(column) LIKE '%…%'`, with
//! the typed text's own `%`, `_` and `\` matched literally. PostgreSQL answers it from the
//! trigram indexes of migration `2026-12-03-000004_back_office_lists` (docs/back-office.md).

use diesel::sql_types::{Nullable, Text};

diesel::define_sql_function! {
    /// SQL `lower` of a nullable text (ASCII letters only on SQLite, every letter on PostgreSQL).
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}

/// The escape character of every pattern made here.
pub const ESCAPE: char = '\\';

/// A `LIKE` pattern that matches `text` anywhere, ignoring letter case.
///
/// ```
/// assert_eq!(wetech_persistence::search::contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
/// ```
#[must_use]
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
