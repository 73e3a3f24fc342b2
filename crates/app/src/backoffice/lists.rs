//! The back office's lists (leads, invoices, payment attempts): 50 a page, newest first, with
//! their filters checked here so a hostile query string is refused before any database work.

use wetech_domain::AttemptStatus;
use wetech_persistence::invoice_list::{self, AttemptListRow, InvoiceFilter, InvoiceListRow};
use wetech_persistence::lead_list::{self, LeadFilter, LeadListRow};

use super::{BackOffice, StaffError};

/// Lines on one page of a list.
pub const PAGE_SIZE: i64 = 50;
/// The highest page number asked for (a million leads are 20 000 pages).
pub const MAX_PAGE: i64 = 1_000_000;
/// The longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Its lines.
    pub rows: Vec<T>,
    /// Its number, from 1.
    pub number: i64,
    /// Whether a next page has lines.
    pub has_next: bool,
}

/// A page number as typed: from 1 to [`MAX_PAGE`]; absent or empty is 1.
///
/// # Errors
/// [`StaffError::BadQuery`] for anything else.
pub fn page_number(typed: Option<&str>) -> Result<i64, StaffError> {
    match typed.map(str::trim) {
        None | Some("") => Ok(1),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or(StaffError::BadQuery("page")),
    }
}

/// A search text as typed: trimmed; empty is no search.
///
/// # Errors
/// [`StaffError::BadQuery`] when longer than [`MAX_SEARCH_CHARS`] or holding control characters.
pub fn search_text(typed: Option<&str>) -> Result<Option<&str>, StaffError> {
    let Some(t) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > MAX_SEARCH_CHARS || t.chars().any(char::is_control) {
        return Err(StaffError::BadQuery("q"));
    }
    Ok(Some(t))
}

fn paged<T>(mut rows: Vec<T>, number: i64) -> Page<T> {
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    Page {
        rows,
        number,
        has_next,
    }
}

fn offset(number: i64) -> i64 {
    (number.clamp(1, MAX_PAGE) - 1) * PAGE_SIZE
}

impl BackOffice {
    /// Page `number` of the leads matching `filter`, newest first.
    ///
    /// # Errors
    /// A database error.
    pub fn leads_page(
        &self,
        filter: &LeadFilter<'_>,
        number: i64,
    ) -> Result<Page<LeadListRow>, StaffError> {
        let rows = self
            .uow
            .read(|c| lead_list::page(c, filter, offset(number), PAGE_SIZE + 1))?;
        Ok(paged(rows, number))
    }

    /// Page `number` of the invoices matching `filter`, newest first.
    ///
    /// # Errors
    /// A database error.
    pub fn invoices_page(
        &self,
        filter: &InvoiceFilter<'_>,
        number: i64,
    ) -> Result<Page<InvoiceListRow>, StaffError> {
        let rows = self
            .uow
            .read(|c| invoice_list::page(c, filter, offset(number), PAGE_SIZE + 1))?;
        Ok(paged(rows, number))
    }

    /// Page `number` of the payment attempts in state `status` (all when `None`), newest first.
    ///
    /// # Errors
    /// A database error.
    pub fn attempts_page(
        &self,
        status: Option<AttemptStatus>,
        number: i64,
    ) -> Result<Page<AttemptListRow>, StaffError> {
        let rows = self
            .uow
            .read(|c| invoice_list::attempts_page(c, status, offset(number), PAGE_SIZE + 1))?;
        Ok(paged(rows, number))
    }
}
