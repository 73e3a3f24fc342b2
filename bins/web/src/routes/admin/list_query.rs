//! The query string of the back office's lists: `q`, a state filter (`status`, or `state` on the
//! payments list) and `page`, read leniently (other
//! parameters are ignored), checked strictly (a bad value is a 400 page), and written back into
//! the links to other pages so they keep the filters.

use actix_web::HttpRequest;
use wetech_app::backoffice::lists::{page_number, search_text};

use super::session::AdminError;
use crate::error::ApiError;
use crate::routes::pages::form::query_param;

/// A list's filters as asked.
pub(crate) struct ListQuery {
    /// The search text, trimmed; empty when none.
    pub(crate) q: String,
    /// The state filter as typed; empty when none.
    pub(crate) status: String,
    /// The state filter's parameter name.
    status_param: &'static str,
    /// The page number, from 1.
    pub(crate) page: i64,
}

impl ListQuery {
    /// Reads `q`, `status` and `page` from `req`.
    pub(crate) fn of(req: &HttpRequest) -> Result<Self, AdminError> {
        Self::with_filter(req, "status")
    }

    /// Reads `q`, the state filter named `status_param` and `page` from `req`.
    pub(crate) fn with_filter(
        req: &HttpRequest,
        status_param: &'static str,
    ) -> Result<Self, AdminError> {
        let q = query_param(req, "q");
        let q = search_text(q.as_deref())?.unwrap_or_default().to_owned();
        let page = page_number(query_param(req, "page").as_deref())?;
        let status = query_param(req, status_param)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Ok(ListQuery {
            q,
            status,
            status_param,
            page,
        })
    }

    /// The search text, if any.
    pub(crate) fn search(&self) -> Option<&str> {
        (!self.q.is_empty()).then_some(self.q.as_str())
    }

    /// The status filter parsed as `T` (one of `all`), if any.
    pub(crate) fn status<T: Copy>(
        &self,
        all: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> Result<Option<T>, AdminError> {
        if self.status.is_empty() {
            return Ok(None);
        }
        all.iter()
            .copied()
            .find(|s| name(*s) == self.status)
            .map(Some)
            .ok_or_else(|| ApiError::Malformed("unknown status".to_owned()).into())
    }

    /// The query string of page `page` with the same filters (for `path?…`).
    pub(crate) fn href(&self, path: &str, page: i64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if !self.status.is_empty() {
            pairs.push((self.status_param, self.status.clone()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    }

    /// The links to the previous and the next page, where there are such pages.
    pub(crate) fn pager(&self, path: &str, has_next: bool) -> Pager {
        Pager {
            previous: (self.page > 1).then(|| self.href(path, self.page - 1)),
            next: has_next.then(|| self.href(path, self.page + 1)),
        }
    }
}

/// The links of `templates/admin/pager.html`.
pub(crate) struct Pager {
    pub(crate) previous: Option<String>,
    pub(crate) next: Option<String>,
}
