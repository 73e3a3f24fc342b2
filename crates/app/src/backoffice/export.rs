//! The CSV exports' reads: the list's rows a chunk at a time (newest first, each chunk older than
//! the last), so an export of a million leads never holds them all, and the `export` audit entry.

use serde_json::json;
use wetech_persistence::invoice_list::{self, InvoiceFilter, InvoiceListRow};
use wetech_persistence::lead_list::{self, LeadFilter, LeadListRow};
use wetech_persistence::now_utc;

use super::audit::{self, Actor, Entry};
use super::{BackOffice, StaffError};

/// Rows read from the database at a time by an export.
pub const EXPORT_CHUNK: i64 = 500;

/// What is exported, as the audit entry's subject names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// `GET /admin/leads.csv`.
    Leads,
    /// `GET /admin/invoices.csv`.
    Invoices,
}

impl Export {
    /// `leads` or `invoices`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Export::Leads => "leads",
            Export::Invoices => "invoices",
        }
    }
}

impl BackOffice {
    /// Records that `actor` exported `what` with the list filters `q` and `status`.
    ///
    /// # Errors
    /// A database error.
    pub fn record_export(
        &self,
        what: Export,
        q: Option<&str>,
        status: Option<&str>,
        actor: &Actor,
    ) -> Result<(), StaffError> {
        let at = now_utc();
        self.uow.write(|tx| {
            audit::write(
                tx,
                actor,
                at,
                Entry {
                    action: "export",
                    subject: Some(what.as_str()),
                    before: None,
                    after: Some(json!({ "q": q, "status": status })),
                },
            )
        })
    }

    /// Up to [`EXPORT_CHUNK`] leads matching `filter` (its `before_id` the last one sent).
    ///
    /// # Errors
    /// A database error.
    pub fn leads_chunk(&self, filter: &LeadFilter<'_>) -> Result<Vec<LeadListRow>, StaffError> {
        Ok(self
            .uow
            .read(|c| lead_list::page(c, filter, 0, EXPORT_CHUNK))?)
    }

    /// Up to [`EXPORT_CHUNK`] invoices matching `filter` (its `before_id` the last one sent).
    ///
    /// # Errors
    /// A database error.
    pub fn invoices_chunk(
        &self,
        filter: &InvoiceFilter<'_>,
    ) -> Result<Vec<InvoiceListRow>, StaffError> {
        Ok(self
            .uow
            .read(|c| invoice_list::page(c, filter, 0, EXPORT_CHUNK))?)
    }
}
