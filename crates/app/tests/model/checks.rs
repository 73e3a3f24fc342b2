//! The invariants checked against the database after every step, and at the end of a story.

use wetech_domain::{AttemptStatus, InvoiceStatus};
use wetech_persistence::repo::{attempts, events, invoices};

use crate::ops::INVOICES;
use crate::reference::Model;
use crate::world::World;

/// What the previous check saw, to tell an undone `paid` from a reversal.
#[derive(Debug, Default)]
pub struct Seen {
    invoice_status: Vec<Option<InvoiceStatus>>,
}

/// The outcomes an event has when its notification settled the attempt.
fn is_settlement(outcome: &str) -> bool {
    outcome == "settled" || outcome.starts_with("paid_twice")
}

/// After every step: each invoice and attempt as the model predicts; at most one settlement
/// per attempt and per invoice; `paid` undone only by a reversal; every settled attempt
/// traceable to a stored raw event.
pub fn after_step(world: &World, model: &Model, seen: &mut Seen) -> Result<(), String> {
    seen.invoice_status.resize(INVOICES, None);
    for (i, expected) in model.invoices.iter().enumerate() {
        let id = world.invoice(i).clone();
        let (invoice, rows, events) = world
            .use_cases()
            .unit_of_work()
            .read(|c| {
                let invoice = invoices::find_by_public_id(c, id.as_str())?
                    .ok_or(wetech_persistence::PersistenceError::NotFound)?;
                let rows = attempts::list_for_invoice(c, invoice.id)?;
                let mut events = Vec::new();
                for row in &rows {
                    events.push(events::list_for_attempt(c, row.id)?);
                }
                Ok::<_, wetech_persistence::PersistenceError>((invoice, rows, events))
            })
            .map_err(|e| format!("reading invoice {i}: {e}"))?;
        if invoice.status != expected.status {
            return Err(format!(
                "invoice {i} is {}, the model says {}",
                invoice.status, expected.status
            ));
        }
        if let Some(before) = seen.invoice_status[i]
            && before == InvoiceStatus::Paid
            && !matches!(
                invoice.status,
                InvoiceStatus::Paid | InvoiceStatus::Reversed
            )
        {
            return Err(format!(
                "invoice {i} was paid and is now {}",
                invoice.status
            ));
        }
        seen.invoice_status[i] = Some(invoice.status);
        if (invoice.status == InvoiceStatus::Paid) != invoice.paid_at.is_some()
            && invoice.status != InvoiceStatus::Reversed
        {
            return Err(format!(
                "invoice {i} is {} with paid_at {:?}",
                invoice.status, invoice.paid_at
            ));
        }
        let modelled = model.attempts.iter().filter(|a| a.invoice == i).count();
        if rows.len() != modelled {
            return Err(format!(
                "invoice {i} has {} attempts, the model {modelled}",
                rows.len()
            ));
        }
        let mut settlements = 0;
        for (row, events) in rows.iter().zip(&events) {
            let Some(a) = model
                .attempts
                .iter()
                .find(|a| a.reference == row.merchant_reference.as_str())
            else {
                return Err(format!(
                    "attempt {} of invoice {i} is not in the model",
                    row.merchant_reference
                ));
            };
            let name = format!(
                "attempt {} ({} of invoice {i})",
                row.merchant_reference, row.gateway
            );
            if row.status != a.expected_status() {
                return Err(format!(
                    "{name} is {}, the model says {}",
                    row.status,
                    a.expected_status()
                ));
            }
            if row.review_reason.is_some() != a.under_review() {
                return Err(format!(
                    "{name}: review reason {:?}, the model says {:?}",
                    row.review_reason, a.review
                ));
            }
            let settled = events.iter().filter(|e| e.outcome == "settled").count();
            if settled > 1 {
                return Err(format!("{name} was settled {settled} times"));
            }
            settlements += settled;
            // Paid (also when paid twice and now under review, or reversed since).
            if a.settled
                && !events
                    .iter()
                    .any(|e| is_settlement(&e.outcome) && !e.payload.is_empty())
            {
                return Err(format!(
                    "{name} is {} but no stored event settled it: {:?}",
                    row.status,
                    events.iter().map(|e| &e.outcome).collect::<Vec<_>>()
                ));
            }
        }
        if settlements > 1 {
            return Err(format!("invoice {i} was paid {settlements} times"));
        }
        if u32::try_from(settlements).ok() != Some(expected.settlements) {
            return Err(format!(
                "invoice {i} was settled {settlements} times, the model says {}",
                expected.settlements
            ));
        }
    }
    Ok(())
}

/// After the final reconcile: no attempt is left open.
pub fn at_end(world: &World) -> Result<(), String> {
    for i in 0..INVOICES {
        let id = world.invoice(i).clone();
        let rows = world
            .use_cases()
            .unit_of_work()
            .read(|c| {
                let invoice = invoices::find_by_public_id(c, id.as_str())?
                    .ok_or(wetech_persistence::PersistenceError::NotFound)?;
                attempts::list_for_invoice(c, invoice.id)
            })
            .map_err(|e| format!("reading invoice {i}: {e}"))?;
        for row in rows {
            let open = matches!(
                row.status,
                AttemptStatus::Initiated | AttemptStatus::Pending
            );
            if open {
                return Err(format!(
                    "attempt {} ({} of invoice {i}) is still {} after the final reconcile",
                    row.merchant_reference, row.gateway, row.status
                ));
            }
        }
    }
    Ok(())
}
