//! The messages that use cases cause, added to the e-mail outbox inside the use case's own
//! transaction (`wetech_persistence::outbox`): a committed change has its messages, a rolled
//! back one has none, and an event's messages are added once (unique event key and recipient).
//! What each message says is rendered later by the sender (crate `wetech-mail`) from the facts
//! written here; links are site paths, made absolute with `SERVER__PUBLIC_URL` when sent. A
//! customer's message is in the language the lead was submitted in (`leads.language`), its
//! amounts and dates written here for that language; the staff's are English.

use chrono::NaiveDateTime;
use wetech_domain::{AttemptStatus, InvoiceStatus, Money};
use wetech_i18n::Language;
use wetech_persistence::outbox::{self, Facts, NewMessage, RecipientRole};
use wetech_persistence::repo::{attempt_history, attempts, clients, invoices, leads};
use wetech_persistence::{DbConnection, PersistenceError};

use crate::error::AppError;

/// The back office's page of a lead (docs/back-office.md).
fn admin_lead_page(lead_id: i64) -> String {
    format!("/admin/leads/{lead_id}")
}

/// The back office's page of an invoice, with its attempts.
fn admin_invoice_page(public_id: &str) -> String {
    format!("/admin/invoices/{public_id}")
}

/// The language of the messages about `invoice`: the one its lead was submitted in (English
/// for an invoice without a lead, or a code this version does not know).
fn invoice_language(
    tx: &mut DbConnection,
    invoice: &invoices::InvoiceRow,
) -> Result<Language, AppError> {
    let Some(lead_id) = invoice.lead_id else {
        return Ok(Language::En);
    };
    Ok(leads::find_by_id(tx, lead_id)?
        .and_then(|lead| Language::from_code(&lead.language))
        .unwrap_or(Language::En))
}

/// `money` as `language` writes it (`TZS 500,000.00`, `TSh 500,000.00`).
fn amount_in(language: Language, money: &Money) -> String {
    wetech_i18n::format_amount(
        language,
        money.currency().as_str(),
        &money.to_decimal_string(),
    )
}

/// `TZS 500,000.00`: the currency, then the amount with thousands separators (English, as the
/// staff read it).
#[must_use]
pub fn display_amount(money: &Money) -> String {
    amount_in(Language::En, money)
}

/// What a new lead tells whom, written by the lead writer in the lead's own savepoint or
/// statement group.
pub(crate) struct NewLeadMessages<'a> {
    pub(crate) lead_id: i64,
    pub(crate) name: &'a str,
    pub(crate) email: &'a str,
    pub(crate) phone: &'a str,
    pub(crate) company: Option<&'a str>,
    pub(crate) service: &'a str,
    pub(crate) message: Option<&'a str>,
    pub(crate) invoice_number: &'a str,
    pub(crate) amount: &'a Money,
    pub(crate) invoice_path: &'a str,
    /// The language the lead was submitted in: its customer's message is written in it.
    pub(crate) language: Language,
    pub(crate) at: NaiveDateTime,
}

/// A new lead → the staff (the lead and its back-office page) and the customer (the invoice and
/// its page).
pub(crate) fn new_lead(tx: &mut DbConnection, m: &NewLeadMessages<'_>) -> Result<(), AppError> {
    let event = format!("lead-{}.new-lead", m.lead_id);
    let amount = display_amount(m.amount);
    let staff = Facts::NewLeadStaff {
        lead_id: m.lead_id,
        name: m.name.to_owned(),
        email: m.email.to_owned(),
        phone: m.phone.to_owned(),
        company: m.company.map(str::to_owned),
        service: m.service.to_owned(),
        message: m.message.map(str::to_owned),
        invoice_number: m.invoice_number.to_owned(),
        amount,
        admin_url: admin_lead_page(m.lead_id),
    };
    let customer = Facts::NewLeadCustomer {
        name: m.name.to_owned(),
        service: m.service.to_owned(),
        invoice_number: m.invoice_number.to_owned(),
        amount: amount_in(m.language, m.amount),
        invoice_url: m.invoice_path.to_owned(),
    };
    add(
        tx,
        &event,
        RecipientRole::Staff,
        None,
        "en",
        &staff,
        None,
        m.at,
    )?;
    add(
        tx,
        &event,
        RecipientRole::Customer,
        Some(m.email),
        m.language.code(),
        &customer,
        None,
        m.at,
    )
}

/// Invoice `invoice_id` paid through attempt `attempt_id` → the customer's receipt (its PDF
/// attachment is made when sending; see `attachment`) and a note to the staff.
pub(crate) fn invoice_paid(
    tx: &mut DbConnection,
    invoice_id: i64,
    attempt_id: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let invoice = invoices::find_by_id(tx, invoice_id)?.ok_or(PersistenceError::NotFound)?;
    let attempt = attempts::find_by_id(tx, attempt_id)?.ok_or(PersistenceError::NotFound)?;
    let client = clients::find_by_id(tx, invoice.client_id)?.ok_or(PersistenceError::NotFound)?;
    let money = crate::leads::stored_money(invoice.amount_minor, invoice.currency)?;
    let amount = display_amount(&money);
    let language = invoice_language(tx, &invoice)?;
    let paid_at = invoice.paid_at.unwrap_or(now);
    let event = format!("invoice-{}.paid", invoice.public_id.as_str());
    let gateway = attempt.gateway.to_string();
    let receipt = Facts::ReceiptCustomer {
        name: client.name.clone(),
        service: invoice.service_name.clone(),
        invoice_number: invoice.number.as_str().to_owned(),
        amount: amount_in(language, &money),
        paid_at: wetech_i18n::format_datetime(language, &paid_at.and_utc()),
        gateway: crate::receipts::gateway_name(attempt.gateway).to_owned(),
        confirmation_code: attempt.confirmation_code.clone(),
        invoice_url: crate::paths::invoice_page(&invoice.public_id),
    };
    let staff = Facts::PaidStaff {
        name: client.name.clone(),
        invoice_number: invoice.number.as_str().to_owned(),
        amount,
        gateway,
        confirmation_code: attempt.confirmation_code.clone(),
        admin_url: admin_invoice_page(invoice.public_id.as_str()),
    };
    // The receipt PDF (§6) is attached when the message is sent; the slot is recorded now so
    // that the sender knows which receipt to make.
    let attachment = format!("receipt:{}", invoice.public_id.as_str());
    add(
        tx,
        &event,
        RecipientRole::Customer,
        Some(client.email.as_str()),
        language.code(),
        &receipt,
        Some(&attachment),
        now,
    )?;
    add(
        tx,
        &event,
        RecipientRole::Staff,
        None,
        "en",
        &staff,
        None,
        now,
    )
}

/// Attempt `attempt_id` put under review for `why` → the staff are alerted, with what to do.
/// One alert each time it enters review.
pub(crate) fn under_review(
    tx: &mut DbConnection,
    attempt_id: i64,
    why: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let attempt = attempts::find_by_id(tx, attempt_id)?.ok_or(PersistenceError::NotFound)?;
    let invoice =
        invoices::find_by_id(tx, attempt.invoice_id)?.ok_or(PersistenceError::NotFound)?;
    // Paid twice: the invoice stands paid through another attempt, so this
    // attempt's money is to be refunded rather than applied.
    let paid_twice = invoice.status == InvoiceStatus::Paid
        && attempts::list_for_invoice(tx, invoice.id)?
            .iter()
            .any(|a| a.id != attempt.id && a.status == AttemptStatus::Completed);
    let facts = Facts::ReviewStaff {
        attempt_id,
        invoice_number: invoice.number.as_str().to_owned(),
        gateway: attempt.gateway.to_string(),
        merchant_reference: attempt.merchant_reference.as_str().to_owned(),
        reason: why.to_owned(),
        paid_twice,
        admin_url: admin_invoice_page(invoice.public_id.as_str()),
    };
    // The history row of this entry into review names the event: a person may end a review
    // and a later result open another, which alerts again.
    let entry = attempt_history::list_for_attempt(tx, attempt_id)?
        .iter()
        .rev()
        .find(|h| h.to == AttemptStatus::Review)
        .map_or(0, |h| h.id);
    let event = format!("attempt-{attempt_id}.review-{entry}");
    add(
        tx,
        &event,
        RecipientRole::Staff,
        None,
        "en",
        &facts,
        None,
        now,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row's columns, named at each call"
)]
fn add(
    tx: &mut DbConnection,
    event_key: &str,
    role: RecipientRole,
    to_address: Option<&str>,
    language: &str,
    facts: &Facts,
    attachment: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    outbox::enqueue(
        tx,
        &NewMessage {
            event_key,
            role,
            to_address,
            language,
            facts,
            attachment,
            now,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wetech_domain::Currency;

    #[test]
    fn amounts_read_with_thousands_separators() {
        let tzs: Currency = "TZS".parse().unwrap();
        let cases = [
            (50_000_000, "TZS 500,000.00"),
            (100, "TZS 1.00"),
            (123_456_789, "TZS 1,234,567.89"),
            (99_999, "TZS 999.99"),
        ];
        for (minor, shown) in cases {
            assert_eq!(
                display_amount(&Money::from_minor(minor, tzs).unwrap()),
                shown
            );
        }
    }
}
