//! The back office's search, read from indexes on both backends (docs/operations.md, "Back
//! office: search"; migrations `2026-12-03-000004_back_office_lists` and
//! `2026-12-04-000008_search_index`):
//!
//! - 3 characters or more ([`SearchText::Contains`]): the text anywhere in the client's name,
//!   e-mail, phone or company, an invoice number or a merchant reference, ignoring letter case.
//!   SQLite asks its FTS5 trigram tables (`clients_search`, `invoices_search`,
//!   `payment_attempts_search`) with the text as one quoted phrase, so FTS5's query syntax in it
//!   (`"`, `*`, `NEAR(`, `AND`, …) is plain text; PostgreSQL asks `lower(column) LIKE '%…%'` of its
//!   `pg_trgm` indexes, with the typed `%`, `_` and `\` matched literally.
//! - A text that looks like part of a phone number (digits with `+`, spaces, dashes, dots or
//!   brackets) is also matched, as its digits, against the phone: a leading `00` or `0` (how a
//!   number is dialled from inside the country) is dropped, so `0712 345` and `+255 712 345` both
//!   find `+255712345678`.
//! - 1 or 2 characters ([`SearchText::Prefix`]): the start of the client's name, e-mail or
//!   company, read as a range of btree indexes; a substring that short would match nearly
//!   everything, and no trigram index can answer it.

use diesel::backend::Backend as DieselBackend;
use diesel::expression::is_aggregate;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Text};

use crate::Backend;

/// The fewest characters a substring search takes; fewer are a prefix search.
pub const MIN_SUBSTRING_CHARS: usize = 3;

/// The escape character of every `LIKE` pattern made here.
pub const ESCAPE: char = '\\';

/// What a typed search text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchText {
    /// 1 or 2 characters, lower-cased: the start of the client's name, e-mail or company.
    Prefix(String),
    /// 3 characters or more: found anywhere in the searched columns.
    Contains {
        /// The text as typed (trimmed).
        text: String,
        /// Its digits, when it looks like part of a phone number, with the national `0` dropped.
        phone_digits: Option<String>,
    },
}

impl SearchText {
    /// The search `q` asks for, or `None` when it is empty (or only spaces). Control characters
    /// (which the site refuses anyway) are left out.
    ///
    /// ```
    /// use wetech_persistence::search::SearchText;
    /// assert_eq!(SearchText::parse("  "), None);
    /// assert_eq!(SearchText::parse(" Mw"), Some(SearchText::Prefix("mw".into())));
    /// assert_eq!(
    ///     SearchText::parse("0712"),
    ///     Some(SearchText::Contains { text: "0712".into(), phone_digits: Some("712".into()) })
    /// );
    /// ```
    #[must_use]
    pub fn parse(q: &str) -> Option<Self> {
        let text: String = q.chars().filter(|c| !c.is_control()).collect();
        let text = text.trim();
        match text.chars().count() {
            0 => None,
            n if n < MIN_SUBSTRING_CHARS => Some(SearchText::Prefix(text.to_lowercase())),
            _ => Some(SearchText::Contains {
                text: text.to_owned(),
                phone_digits: phone_digits(text),
            }),
        }
    }
}

/// The digits of `text` when it looks like part of a phone number (digits, `+`, spaces, `-`, `.`,
/// brackets), without the `00` or `0` dialled before a number inside the country, and only when at
/// least [`MIN_SUBSTRING_CHARS`] remain.
///
/// ```
/// use wetech_persistence::search::phone_digits;
/// assert_eq!(phone_digits("+255 712-345"), Some("255712345".into()));
/// assert_eq!(phone_digits("0712"), Some("712".into()));
/// assert_eq!(phone_digits("00255 71"), Some("25571".into()));
/// assert_eq!(phone_digits("071"), None);
/// assert_eq!(phone_digits("INV-2026"), None);
/// ```
#[must_use]
pub fn phone_digits(text: &str) -> Option<String> {
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    if !phone_like {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = if text.trim_start().starts_with('+') {
        digits.as_str()
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest
    } else {
        digits.strip_prefix('0').unwrap_or(&digits)
    };
    (national.len() >= MIN_SUBSTRING_CHARS).then(|| national.to_owned())
}

/// A `LIKE` pattern that matches `text` anywhere, ignoring letter case.
///
/// ```
/// assert_eq!(wetech_persistence::search::contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
/// ```
#[must_use]
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", escape_like(&text.to_lowercase()))
}

/// A `LIKE` pattern that matches what starts with `prefix` (already lower-cased).
fn prefix_pattern(prefix: &str) -> String {
    format!("{}%", escape_like(prefix))
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            escaped.push(ESCAPE);
        }
        escaped.push(c);
    }
    escaped
}

/// `text` as one FTS5 phrase: in double quotes, its own double quotes doubled, so nothing in it
/// is FTS5 query syntax.
///
/// ```
/// assert_eq!(wetech_persistence::search::fts_phrase(r#"a "b" NEAR("#), r#""a ""b"" NEAR(""#);
/// ```
#[must_use]
pub fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The end of the range of strings starting with `prefix`: `prefix` then the greatest character.
fn range_end(prefix: &str) -> String {
    format!("{prefix}{}", char::MAX)
}

/// `leads.id IN (…)`: the leads whose client or invoice matches `search`.
pub(crate) fn matching_leads(backend: Backend, search: &SearchText) -> Sql {
    let mut sql = Sql::default();
    sql.push("leads.id IN (SELECT l.id FROM leads AS l WHERE l.client_id IN (");
    matching_clients(&mut sql, backend, search);
    sql.push(")");
    if let SearchText::Contains { text, .. } = search {
        sql.push(" UNION ALL SELECT i.lead_id FROM invoices AS i WHERE ");
        match backend {
            Backend::Sqlite => sql
                .push("i.id IN (SELECT rowid FROM invoices_search WHERE invoices_search MATCH ")
                .bind(fts_phrase(text))
                .push(")"),
            Backend::Postgres => like(&mut sql, "i.number", contains_pattern(text)),
        };
    }
    sql.push(")");
    sql
}

/// `invoices.id IN (…)`: the invoices whose client, number or an attempt's merchant reference
/// matches `search`.
pub(crate) fn matching_invoices(backend: Backend, search: &SearchText) -> Sql {
    let mut sql = Sql::default();
    sql.push("invoices.id IN (SELECT i.id FROM invoices AS i WHERE i.client_id IN (");
    matching_clients(&mut sql, backend, search);
    sql.push(")");
    if let SearchText::Contains { text, .. } = search {
        match backend {
            Backend::Sqlite => sql
                .push(" UNION ALL SELECT rowid FROM invoices_search WHERE invoices_search MATCH ")
                .bind(fts_phrase(text))
                .push(" UNION ALL SELECT a.invoice_id FROM payment_attempts AS a WHERE a.id IN (")
                .push("SELECT rowid FROM payment_attempts_search WHERE payment_attempts_search MATCH ")
                .bind(fts_phrase(text))
                .push(")"),
            Backend::Postgres => {
                sql.push(" UNION ALL SELECT i.id FROM invoices AS i WHERE ");
                like(&mut sql, "i.number", contains_pattern(text));
                sql.push(" UNION ALL SELECT a.invoice_id FROM payment_attempts AS a WHERE ");
                like(&mut sql, "a.merchant_reference", contains_pattern(text))
            }
        };
    }
    sql.push(")");
    sql
}

/// `SELECT` of the ids of the clients matching `search`.
fn matching_clients(sql: &mut Sql, backend: Backend, search: &SearchText) {
    match (backend, search) {
        (Backend::Sqlite, SearchText::Contains { text, phone_digits }) => {
            let mut query = fts_phrase(text);
            if let Some(digits) = phone_digits {
                query = format!("{query} OR phone : {}", fts_phrase(digits));
            }
            sql.push("SELECT rowid FROM clients_search WHERE clients_search MATCH ")
                .bind(query);
        }
        (Backend::Sqlite, SearchText::Prefix(prefix)) => {
            sql.push("SELECT c.id FROM clients AS c WHERE ");
            for (n, column) in ["lower(c.name)", "c.email_normalized", "lower(c.company)"]
                .into_iter()
                .enumerate()
            {
                if n > 0 {
                    sql.push(" OR ");
                }
                sql.push(&format!("({column} >= "))
                    .bind(prefix.clone())
                    .push(&format!(" AND {column} < "))
                    .bind(range_end(prefix))
                    .push(")");
            }
        }
        (Backend::Postgres, SearchText::Contains { text, phone_digits }) => {
            let pattern = contains_pattern(text);
            sql.push("SELECT c.id FROM clients AS c WHERE ");
            like(sql, "c.name", pattern.clone());
            sql.push(" OR ");
            like(sql, "c.email", pattern.clone());
            sql.push(" OR ");
            like(sql, "c.phone", pattern.clone());
            sql.push(" OR ");
            like(sql, "c.company", pattern);
            if let Some(digits) = phone_digits {
                sql.push(" OR ");
                like(sql, "c.phone", contains_pattern(digits));
            }
        }
        (Backend::Postgres, SearchText::Prefix(prefix)) => {
            sql.push("SELECT c.id FROM clients AS c WHERE ");
            like(sql, "c.name", prefix_pattern(prefix));
            sql.push(" OR ");
            like(sql, "c.email", prefix_pattern(prefix));
            sql.push(" OR ");
            like(sql, "c.company", prefix_pattern(prefix));
        }
    }
}

/// `lower(column) LIKE pattern ESCAPE '\'`.
fn like<'a>(sql: &'a mut Sql, column: &str, pattern: String) -> &'a mut Sql {
    sql.push(&format!("lower({column}) LIKE "))
        .bind(pattern)
        .push(&format!(" ESCAPE '{ESCAPE}'"))
}

/// A boolean SQL condition written here, its values bound as parameters (never spliced in).
#[derive(Debug, Default)]
pub(crate) struct Sql {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Bind(String),
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.parts.push(Part::Text(text.to_owned()));
        self
    }

    fn bind(&mut self, value: String) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }
}

impl Expression for Sql {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Sql {}

impl<QS> SelectableExpression<QS> for Sql {}

impl<GB> ValidGrouping<GB> for Sql {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for Sql
where
    DB: DieselBackend + HasSqlType<Text>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        // The text differs with the search, so the statement is not kept prepared.
        out.unsafe_to_cache_prepared();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_sql(text),
                Part::Bind(value) => out.push_bind_param::<Text, String>(value)?,
            }
        }
        Ok(())
    }
}
