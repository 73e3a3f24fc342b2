//! A page of a back-office list in two steps: the page's ids first, from an index alone (the
//! list's filters, newest first, `OFFSET`/`LIMIT`), then the joined rows of just those ids. A deep
//! page skips index entries, not joined rows (docs/operations.md, "Back office: search").

/// The ids of a page of `$table` (a module of [`crate::schema`] with `id` and `client_id`),
/// newest first: `$filter` is a list filter with `status` (compared with `$table::$status`),
/// `client_id`, `before_id` and `q` (matched by `$matching`, a function of
/// [`super::search`]). Evaluates to `Result<Vec<i64>, PersistenceError>`.
macro_rules! page_ids {
    ($conn:expr, $table:ident, $status:ident, $filter:expr, $matching:path, $offset:expr, $limit:expr) => {{
        let filter = $filter;
        let mut ids = $table::table
            .select($table::id)
            .order($table::id.desc())
            .offset($offset)
            .limit($limit)
            .into_boxed();
        if let Some(status) = filter.status {
            ids = ids.filter($table::$status.eq(status.as_str()));
        }
        if let Some(client_id) = filter.client_id {
            ids = ids.filter($table::client_id.eq(client_id));
        }
        if let Some(before) = filter.before_id {
            ids = ids.filter($table::id.lt(before));
        }
        if let Some(search) = filter.q.and_then($crate::repo::search::SearchText::parse) {
            ids = ids.filter($matching($conn.backend(), &search));
        }
        ids.load::<i64>($conn)
            .map_err($crate::PersistenceError::from)
    }};
}
pub(crate) use page_ids;
