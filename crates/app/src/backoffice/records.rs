//! One record of the back office with everything its page shows: a lead, a client, an invoice.

use wetech_persistence::attempt_history::{self, HistoryRow};
use wetech_persistence::attempts::{self, AttemptRow};
use wetech_persistence::clients::{self, ClientRow};
use wetech_persistence::events::{self, EventRow};
use wetech_persistence::invoice_list::{self, InvoiceFilter, InvoiceListRow};
use wetech_persistence::invoices::{self, InvoiceRow};
use wetech_persistence::lead_list::{self, HistoryLine, LeadFilter, LeadListRow};

use super::{BackOffice, StaffError};

/// The most leads and invoices a client's page lists (newest first).
pub const CLIENT_PAGE_LINES: i64 = 200;

/// A lead, its client, service and invoice, and who changed its status when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRecord {
    /// The lead with its client, service and invoice.
    pub lead: LeadListRow,
    /// Its status changes, oldest first.
    pub history: Vec<HistoryLine>,
}

/// A client with their latest leads and invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client.
    pub client: ClientRow,
    /// Their leads, newest first (at most [`CLIENT_PAGE_LINES`]).
    pub leads: Vec<LeadListRow>,
    /// Their invoices, newest first (at most [`CLIENT_PAGE_LINES`]).
    pub invoices: Vec<InvoiceListRow>,
}

/// An attempt with its state history and the raw gateway events that concern it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The attempt.
    pub attempt: AttemptRow,
    /// Its changes of state, oldest first.
    pub history: Vec<HistoryRow>,
    /// Its events, in arrival order.
    pub events: Vec<EventRow>,
}

/// An invoice, its client and every attempt to pay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    /// The invoice.
    pub invoice: InvoiceRow,
    /// The client billed.
    pub client: ClientRow,
    /// Its attempts, oldest first.
    pub attempts: Vec<AttemptRecord>,
}

impl BackOffice {
    /// Lead `id`, or `None` when there is none.
    ///
    /// # Errors
    /// A database error.
    pub fn lead_record(&self, id: i64) -> Result<Option<LeadRecord>, StaffError> {
        Ok(self.uow.read(|c| {
            let Some(lead) = lead_list::one(c, id)? else {
                return Ok(None);
            };
            let history = lead_list::history(c, id)?;
            Ok::<_, wetech_persistence::PersistenceError>(Some(LeadRecord { lead, history }))
        })?)
    }

    /// Client `id`, or `None` when there is none.
    ///
    /// # Errors
    /// A database error.
    pub fn client_record(&self, id: i64) -> Result<Option<ClientRecord>, StaffError> {
        Ok(self.uow.read(|c| {
            let Some(client) = clients::find_by_id(c, id)? else {
                return Ok(None);
            };
            let leads = lead_list::page(
                c,
                &LeadFilter {
                    client_id: Some(id),
                    ..LeadFilter::default()
                },
                0,
                CLIENT_PAGE_LINES,
            )?;
            let invoices = invoice_list::page(
                c,
                &InvoiceFilter {
                    client_id: Some(id),
                    ..InvoiceFilter::default()
                },
                0,
                CLIENT_PAGE_LINES,
            )?;
            Ok::<_, wetech_persistence::PersistenceError>(Some(ClientRecord {
                client,
                leads,
                invoices,
            }))
        })?)
    }

    /// The invoice with this public id, or `None` when there is none.
    ///
    /// # Errors
    /// A database error.
    pub fn invoice_record(&self, public_id: &str) -> Result<Option<InvoiceRecord>, StaffError> {
        self.uow.read(|c| {
            let Some(invoice) = invoices::find_by_public_id(c, public_id)? else {
                return Ok(None);
            };
            let client = clients::find_by_id(c, invoice.client_id)?
                .ok_or_else(|| StaffError::Corrupt("an invoice's client is missing".to_owned()))?;
            let attempts = attempts::list_for_invoice(c, invoice.id)?
                .into_iter()
                .map(|attempt| {
                    let history = attempt_history::list_for_attempt(c, attempt.id)?;
                    let events = events::list_for_attempt(c, attempt.id)?;
                    Ok::<_, StaffError>(AttemptRecord {
                        attempt,
                        history,
                        events,
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(Some(InvoiceRecord {
                invoice,
                client,
                attempts,
            }))
        })
    }
}
