//! Submitting a lead: upsert the client, record the lead, issue the invoice — one unit of work,
//! optionally made idempotent by a client-chosen key.

use chrono::{Datelike as _, Duration};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use tracing::Instrument as _;
use wetech_domain::{
    CompanyName, Currency, EmailAddress, IdempotencyKey, InvoiceNumber, InvoiceStatus, LeadMessage,
    Money, PersonName, PhoneNumber, PublicId, ServiceCode,
};

use wetech_persistence::repo::services::ServiceRow;
use wetech_persistence::repo::{clients, idempotency, invoices, leads, services};
use wetech_persistence::{Backend, DbConnection, PersistenceError, UnitOfWork};

use wetech_i18n::Language;

use crate::error::{AppError, Internal, chain};
use crate::usecases::UseCases;

/// How long a stored idempotent response is replayed.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;
const IDEMPOTENCY_SCOPE: &str = "leads";

/// A parsed lead submission.
#[derive(Debug, Clone)]
pub struct NewLead {
    /// Who.
    pub name: PersonName,
    /// Identifies the client (case-insensitively).
    pub email: EmailAddress,
    /// E.164.
    pub phone: PhoneNumber,
    /// Optional company.
    pub company: Option<CompanyName>,
    /// The service ordered.
    pub service: ServiceCode,
    /// Optional message.
    pub message: Option<LeadMessage>,
    /// The language the lead was submitted in; its client's e-mails use it. Not part of the
    /// [`NewLead::fingerprint`]: a retry from a browser set to another language is the same lead.
    pub language: Language,
}

impl NewLead {
    /// A stable digest of the request, to tell a retry from a different request under the
    /// same idempotency key.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.name.as_str(),
            &self.email.normalized(),
            self.phone.as_str(),
            self.company.as_ref().map_or("", CompanyName::as_str),
            self.service.as_str(),
            self.message.as_ref().map_or("", LeadMessage::as_str),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(h.finalize())
    }
}

/// The invoice part of a lead receipt. Stored as the idempotent replay of the first answer, as
/// `{"id","number","status","amount","currency","url"}` (the money flattened into its two fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    /// Public id (unguessable).
    pub id: PublicId,
    /// `INV-YYYY-NNNNNN`.
    pub number: InvoiceNumber,
    /// `unpaid` when issued.
    pub status: InvoiceStatus,
    /// The amount due.
    #[serde(flatten)]
    pub amount: Money,
    /// The customer's invoice page.
    pub url: String,
}

/// What submitting a lead returns (the body of `201`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadReceipt {
    /// The lead's id.
    pub lead_id: i64,
    /// The client's id.
    pub client_id: i64,
    /// The invoice issued.
    pub invoice: InvoiceSummary,
}

/// Whether the receipt is new or a replay of an earlier identical request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadOutcome {
    /// Recorded now.
    Created(LeadReceipt),
    /// The same key and request were seen before; nothing new was created.
    Replayed(LeadReceipt),
}

impl LeadOutcome {
    /// The receipt either way.
    #[must_use]
    pub fn receipt(&self) -> &LeadReceipt {
        match self {
            LeadOutcome::Created(r) | LeadOutcome::Replayed(r) => r,
        }
    }
}

impl UseCases {
    /// Records the client (upserted by e-mail), the lead and an invoice at the service's current
    /// price, in one transaction. With `idempotency_key`, a retry of the same request returns the
    /// first receipt and creates nothing; the same key with a different request is a conflict.
    pub async fn submit_lead(
        &self,
        lead: NewLead,
        idempotency_key: Option<IdempotencyKey>,
    ) -> Result<LeadOutcome, AppError> {
        let span = tracing::info_span!(
            "submit_lead",
            service = %lead.service,
            email = %lead.email.masked(),
            client_id = tracing::field::Empty,
            invoice_id = tracing::field::Empty,
        );
        let public_base = self.public_base().to_owned();
        let job = Job {
            lead,
            key: idempotency_key,
            public_base,
            span: span.clone(),
        };
        let outcome = match self.leads.submit(job) {
            Ok(answer) => answer
                .await
                .map_err(|_| AppError::Internal(Internal::LeadWriterStopped))??,
            // No writer thread (it could not be started): one transaction per lead.
            Err(job) => {
                self.blocking(move |uow| issue_alone(uow, &job))
                    .instrument(span.clone())
                    .await?
            }
        };
        if let LeadOutcome::Created(_) = &outcome {
            metrics::counter!("wetech_leads_total").increment(1);
        }
        let receipt = outcome.receipt();
        span.record("client_id", receipt.client_id);
        span.record("invoice_id", receipt.invoice.id.as_str());
        span.in_scope(|| match &outcome {
            LeadOutcome::Created(_) => tracing::info!(invoice_number = %receipt.invoice.number, "lead recorded, invoice issued"),
            LeadOutcome::Replayed(_) => tracing::info!("idempotent replay of an earlier lead"),
        });
        Ok(outcome)
    }
}

/// One lead waiting for the writer.
pub(crate) struct Job {
    lead: NewLead,
    key: Option<IdempotencyKey>,
    public_base: String,
    span: tracing::Span,
}

type Reply = tokio::sync::oneshot::Sender<Result<LeadOutcome, AppError>>;

/// The most leads committed together.
const MAX_BATCH: usize = 64;

/// Group commit of lead submissions. One writer thread takes every lead waiting in the queue (up
/// to [`MAX_BATCH`]), issues each inside its own savepoint of one write transaction, commits once,
/// and only then answers each submitter — so an answered lead is durable exactly as before, but
/// 32 concurrent submissions share one fsync instead of queueing behind 32. A lead that fails
/// (validation, conflict) rolls back only its own savepoint; if the commit itself fails, nothing
/// was answered and every lead of the batch is retried alone.
#[derive(Clone)]
pub(crate) struct LeadQueue {
    tx: std::sync::mpsc::Sender<(Job, Reply)>,
}

impl LeadQueue {
    /// Starts the writer thread over `uow`; it ends when the last clone of the queue is dropped.
    pub(crate) fn start(uow: UnitOfWork) -> LeadQueue {
        let (tx, rx) = std::sync::mpsc::channel::<(Job, Reply)>();
        let spawned = std::thread::Builder::new()
            .name("lead-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    write_batch(&uow, batch);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the lead writer; leads commit one by one");
        }
        LeadQueue { tx }
    }

    /// Queues `job`; the receiver answers after the commit. `Err(job)` when no writer runs.
    fn submit(
        &self,
        job: Job,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<LeadOutcome, AppError>>, Box<Job>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.tx
            .send((job, reply))
            .map(|()| answer)
            .map_err(|e| Box::new((e.0).0))
    }
}

fn write_batch(uow: &UnitOfWork, batch: Vec<(Job, Reply)>) {
    let jobs: Vec<&Job> = batch.iter().map(|(job, _)| job).collect();
    // On PostgreSQL first without savepoints (the whole group's writes are one statement, so a
    // group of 32 costs about six round trips instead of about 230); any database error there
    // aborts the whole transaction, and the group is then written again with a savepoint per
    // lead. On SQLite (in-process, no round trips) always with savepoints.
    let mut first_mode = Mode::Savepoints;
    let mut results = uow.write(|tx| {
        if tx.backend() == Backend::Postgres {
            first_mode = Mode::OneStatement;
        }
        issue_batch(tx, &jobs, first_mode)
    });
    if results.is_err() && first_mode == Mode::OneStatement {
        results = uow.write(|tx| issue_batch(tx, &jobs, Mode::Savepoints));
    }
    match results {
        Ok(results) => {
            for ((job, reply), result) in batch.into_iter().zip(results) {
                let result = match result {
                    Err(LeadError::LostRace) => job.span.in_scope(|| issue_alone(uow, &job)),
                    Err(LeadError::App(e)) => Err(e),
                    Ok(outcome) => Ok(outcome),
                };
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            tracing::warn!(error = %chain(&e), leads = batch.len(), "group commit failed; retrying each lead alone");
            for (job, reply) in batch {
                let _ = reply.send(job.span.in_scope(|| issue_alone(uow, &job)));
            }
        }
    }
}

/// How a group of leads shares its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Each lead's writes in a savepoint, so a failing lead rolls back alone.
    Savepoints,
    /// No savepoints (PostgreSQL): any database error fails the whole group.
    OneStatement,
}

/// One lead alone in its own transaction; at most two rounds, the second only after losing an
/// idempotency-key race to another process.
fn issue_alone(uow: &UnitOfWork, job: &Job) -> Result<LeadOutcome, AppError> {
    for _ in 0..2 {
        match uow.write(|tx| {
            issue_batch(tx, &[job], Mode::OneStatement)?
                .pop()
                .unwrap_or_else(|| Err(Internal::Invariant("a lead alone got no result").into()))
        }) {
            Err(LeadError::LostRace) => continue,
            Err(LeadError::App(e)) => return Err(e),
            Ok(outcome) => return Ok(outcome),
        }
    }
    Err(AppError::Conflict(
        "the Idempotency-Key is being used concurrently".into(),
    ))
}

/// Money from stored minor units and currency code.
pub(crate) fn stored_money(minor: i64, currency: Currency) -> Result<Money, AppError> {
    Money::from_minor(minor, currency).map_err(AppError::corrupt)
}

/// What a lead needs after its reads: a replay of a stored answer, or an invoice to issue.
enum Step {
    Replay(LeadReceipt),
    Issue {
        service: ServiceRow,
        price: Money,
        fingerprint: String,
    },
}

/// Issues every job of a group inside the caller's transaction `tx`: first every lead's reads
/// (idempotency record, service), then one reservation of as many invoice numbers as there are
/// invoices to issue, then each lead's writes (in a savepoint each under
/// [`Mode::Savepoints`]). The outer `Err` fails the whole group (the transaction must roll
/// back); an inner `Err` is that lead's own answer.
fn issue_batch(
    tx: &mut DbConnection,
    jobs: &[&Job],
    mode: Mode,
) -> Result<Vec<Result<LeadOutcome, LeadError>>, LeadError> {
    let now = wetech_persistence::now_utc();
    let mut services: HashMap<&str, Option<ServiceRow>> = HashMap::new();
    let mut keys: HashSet<&str> = HashSet::new();
    let mut steps = Vec::with_capacity(jobs.len());
    for job in jobs {
        let step = job.span.in_scope(|| prepare(tx, job, now, &mut services))?;
        // The same key twice in one group: the later one replays the earlier after the commit.
        let step = match (step, job.key.as_ref().map(IdempotencyKey::as_str)) {
            (Ok(Step::Issue { .. }), Some(key)) if !keys.insert(key) => Err(LeadError::LostRace),
            (step, _) => step.map_err(LeadError::App),
        };
        steps.push(step);
    }
    let to_issue = steps
        .iter()
        .filter(|s| matches!(s, Ok(Step::Issue { .. })))
        .count();
    let mut numbers = match u32::try_from(to_issue).ok().and_then(NonZeroU32::new) {
        Some(n) => Some(invoices::reserve_invoice_sequences(tx, now.year(), n)?),
        None => None,
    }
    .into_iter()
    .flatten();
    // Each lead's answer, by position; the leads to write carry their invoice number.
    let mut results: Vec<Option<Result<LeadOutcome, LeadError>>> = Vec::with_capacity(jobs.len());
    let mut pending = Vec::new();
    for (index, (job, step)) in jobs.iter().zip(steps).enumerate() {
        results.push(match step {
            Ok(Step::Replay(receipt)) => Some(Ok(LeadOutcome::Replayed(receipt))),
            Err(e) => Some(Err(e)),
            Ok(Step::Issue {
                service,
                price,
                fingerprint,
            }) => {
                let seq = numbers
                    .next()
                    .ok_or(Internal::Invariant("invoice numbers miscounted"))?;
                match invoice_number(now.year(), seq) {
                    Ok(number) => {
                        pending.push((
                            index,
                            Pending {
                                job,
                                service,
                                price,
                                fingerprint,
                                number,
                                public_id: PublicId::generate(),
                                now,
                            },
                        ));
                        None
                    }
                    Err(e) => Some(Err(e.into())),
                }
            }
        });
    }
    match mode {
        Mode::Savepoints => {
            for (index, p) in &pending {
                let written = p.job.span.in_scope(|| {
                    wetech_persistence::in_savepoint(tx, |c| {
                        let recorded = leads::record_with_invoice(c, &p.row())?;
                        p.finish(c, recorded)
                    })
                });
                results[*index] = Some(written);
            }
        }
        Mode::OneStatement => {
            let rows: Vec<_> = pending.iter().map(|(_, p)| p.row()).collect();
            let recorded = leads::record_many_with_invoice(tx, &rows)?;
            for ((index, p), recorded) in pending.iter().zip(recorded) {
                results[*index] = Some(Ok(p.job.span.in_scope(|| p.finish(tx, recorded))?));
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| Internal::Invariant("a lead of the group was not written").into()))
        .collect()
}

/// `INV-YYYY-NNNNNN` from a reserved sequence number.
fn invoice_number(year: i32, seq: i64) -> Result<InvoiceNumber, AppError> {
    let seq = u32::try_from(seq).map_err(AppError::corrupt)?;
    InvoiceNumber::new(year, seq).map_err(|e| Internal::InvoiceNumbering(e).into())
}

/// A lead whose reads are done and whose invoice number is reserved.
struct Pending<'j> {
    job: &'j Job,
    service: ServiceRow,
    price: Money,
    fingerprint: String,
    number: InvoiceNumber,
    public_id: PublicId,
    now: chrono::NaiveDateTime,
}

impl Pending<'_> {
    /// What to write: client, lead and invoice.
    fn row(&self) -> leads::LeadWithInvoice<'_> {
        let lead = &self.job.lead;
        leads::LeadWithInvoice {
            client: clients::NewClient {
                email: lead.email.as_str(),
                name: lead.name.as_str(),
                phone: lead.phone.as_str(),
                company: lead.company.as_ref().map(CompanyName::as_str),
            },
            service_id: self.service.id,
            message: lead
                .message
                .as_ref()
                .filter(|m| !m.is_empty())
                .map(LeadMessage::as_str),
            language: lead.language.code(),
            public_id: self.public_id.as_str(),
            number: self.number.as_str(),
            service_code: self.service.code.as_str(),
            service_name: &self.service.name,
            amount_minor: self.price.minor(),
            currency: self.price.currency().as_str(),
            at: self.now,
        }
    }

    /// The receipt of the written lead, stored under its idempotency key when it has one, and
    /// the lead's messages in the outbox.
    fn finish(
        &self,
        tx: &mut DbConnection,
        recorded: leads::RecordedLead,
    ) -> Result<LeadOutcome, LeadError> {
        let public_id = &self.public_id;
        let receipt = LeadReceipt {
            lead_id: recorded.lead_id,
            client_id: recorded.client_id,
            invoice: InvoiceSummary {
                id: public_id.clone(),
                number: self.number.clone(),
                status: InvoiceStatus::Unpaid,
                amount: self.price,
                url: format!(
                    "{}{}",
                    self.job.public_base,
                    crate::paths::invoice_page(public_id)
                ),
            },
        };
        let lead = &self.job.lead;
        crate::outbox::new_lead(
            tx,
            &crate::outbox::NewLeadMessages {
                lead_id: recorded.lead_id,
                name: lead.name.as_str(),
                email: lead.email.as_str(),
                phone: lead.phone.as_str(),
                company: lead.company.as_ref().map(CompanyName::as_str),
                service: &self.service.name,
                message: lead
                    .message
                    .as_ref()
                    .map(LeadMessage::as_str)
                    .filter(|m| !m.is_empty()),
                invoice_number: self.number.as_str(),
                amount: &self.price,
                invoice_path: &crate::paths::invoice_page(public_id),
                language: lead.language,
                at: self.now,
            },
        )?;
        if let Some(key) = self.job.key.as_ref().map(IdempotencyKey::as_str) {
            let body = serde_json::to_string(&receipt).map_err(Internal::Encoding)?;
            let stored = idempotency::insert(
                tx,
                &idempotency::NewIdempotencyRecord {
                    scope: IDEMPOTENCY_SCOPE,
                    key,
                    request_fingerprint: &self.fingerprint,
                    response_status: 201,
                    response_body: &body,
                    created_at: self.now,
                    expires_at: self.now + Duration::hours(IDEMPOTENCY_TTL_HOURS),
                },
            );
            match stored {
                Ok(_) => {}
                Err(PersistenceError::Conflict { .. }) => {
                    // A concurrent request with the same key committed first: roll this
                    // transaction back and read the winner's answer in a new one.
                    return Err(LeadError::LostRace);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(LeadOutcome::Created(receipt))
    }
}

/// A lead's reads. The outer `Err` is a database error (the transaction may be unusable); the
/// inner one the lead's own refusal, which wrote nothing.
fn prepare<'j>(
    tx: &mut DbConnection,
    job: &'j Job,
    now: chrono::NaiveDateTime,
    services_seen: &mut HashMap<&'j str, Option<ServiceRow>>,
) -> Result<Result<Step, AppError>, AppError> {
    let lead = &job.lead;
    let fingerprint = lead.fingerprint();
    if let Some(key) = job.key.as_ref().map(IdempotencyKey::as_str)
        && let Some(rec) = idempotency::get(tx, IDEMPOTENCY_SCOPE, key, now)?
    {
        if rec.request_fingerprint != fingerprint {
            return Ok(Err(AppError::Conflict(
                "this Idempotency-Key was already used for a different request".into(),
            )));
        }
        return Ok(serde_json::from_str(&rec.response_body)
            .map(Step::Replay)
            .map_err(AppError::corrupt));
    }
    let code = lead.service.as_str();
    let service = match services_seen.get(code) {
        Some(found) => found.clone(),
        None => {
            let found = services::get_active_by_code(tx, code)?;
            services_seen.insert(code, found.clone());
            found
        }
    };
    let Some(service) = service else {
        return Ok(Err(AppError::field(
            "service",
            "unknown or inactive service",
        )));
    };
    Ok(
        stored_money(service.price_minor, service.currency).map(|price| Step::Issue {
            service,
            price,
            fingerprint,
        }),
    )
}

/// How one lead of a group ends inside the writer: with an answer for its submitter, or having
/// lost an idempotency-key race (a concurrent request with the same key committed first), after
/// which its transaction must roll back and the winner's answer be read in a new one.
#[derive(Debug, thiserror::Error)]
enum LeadError {
    /// The lead's own answer (a refusal) or a failure of the group.
    #[error(transparent)]
    App(AppError),
    /// Another request with the same key won; replay it.
    #[error("another request with the same Idempotency-Key committed first")]
    LostRace,
}

impl From<AppError> for LeadError {
    fn from(e: AppError) -> Self {
        LeadError::App(e)
    }
}

impl From<PersistenceError> for LeadError {
    fn from(e: PersistenceError) -> Self {
        LeadError::App(e.into())
    }
}

impl From<Internal> for LeadError {
    fn from(e: Internal) -> Self {
        LeadError::App(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Receipts stored before the read models were typed replay unchanged, and a new receipt is
    /// stored in the same shape (the idempotency records live for a day across deployments).
    #[test]
    fn stored_receipts_keep_their_shape() {
        let stored = r#"{"lead_id":7,"client_id":3,"invoice":{"id":"AAAAAAAAAAAAAAAAAAAAAA","number":"INV-2026-000042","status":"unpaid","amount":"500000.00","currency":"TZS","url":"http://127.0.0.1:8000/invoices/AAAAAAAAAAAAAAAAAAAAAA"}}"#;
        let receipt: LeadReceipt = serde_json::from_str(stored).unwrap();
        assert_eq!(receipt.invoice.status, InvoiceStatus::Unpaid);
        assert_eq!(receipt.invoice.amount.minor(), 50_000_000);
        assert_eq!(receipt.invoice.number.as_str(), "INV-2026-000042");
        assert_eq!(serde_json::to_string(&receipt).unwrap(), stored);
        // A stored body that no longer parses is refused, not half read.
        let bad = stored.replace("\"unpaid\"", "\"lost\"");
        assert!(serde_json::from_str::<LeadReceipt>(&bad).is_err());
    }
}
