//! The outbox sender: claims a batch of due messages with a lease (one short write
//! transaction), sends each outside any transaction, and records each answer in a transaction
//! of its own. A message claimed by a sender that then crashed comes back when its lease lapses
//! and is sent again with the same `Message-ID`; a sender that stops gracefully hands back what
//! it had not started.

use std::sync::Arc;

use chrono::Duration;
use lettre::Message;
use lettre::message::Mailbox;
use tokio::sync::watch;
use tracing::Instrument as _;
use wetech_i18n::Language;
use wetech_persistence::outbox::{self, Facts, NewMessage, OutboxRow, RecipientRole};
use wetech_persistence::{PersistenceError, UnitOfWork, now_utc};

use crate::attachments::{self, AttachmentError, ReceiptSource};
use crate::headers::{self, BuildError};
use crate::messages::{self, Context, RenderError};
use crate::retry::{NextTry, next_try};
use wetech_receipt::CompanySettings;

use crate::settings::{InvalidMailSetting, MailSettings};
use crate::transport::{SendError, Transport};

/// Why a sender's round failed (the messages stay in the outbox).
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// The outbox could not be read or written.
    #[error("outbox database error")]
    Database(#[from] PersistenceError),
    /// The blocking task running a database call died.
    #[error("outbox database task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A stored message that cannot become an e-mail (it is `failed` at once).
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The stored facts do not parse (written by an incompatible version).
    #[error("the stored facts do not parse")]
    Facts(#[source] serde_json::Error),
    /// The customer's stored address is missing or not an address.
    #[error("the recipient address is not usable")]
    Address,
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// lettre refused the message.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The attachment the row names could not be made.
    #[error("cannot make the message's attachment")]
    Attachment(#[source] AttachmentError),
}

impl ComposeError {
    /// Whether a later try may succeed (an attachment whose data cannot be read now).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, ComposeError::Attachment(e) if e.is_transient())
    }
}

/// A stored message made into an e-mail.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The e-mail.
    pub message: Message,
    /// Its subject, one line.
    pub subject: String,
    /// Its `.eml` file's name (without the extension) for the `file` transport.
    pub name: String,
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Round {
    /// Accepted by the server (or written).
    pub sent: usize,
    /// To be tried again.
    pub retrying: usize,
    /// Given up.
    pub failed: usize,
    /// Handed back unsent because the sender is stopping.
    pub released: usize,
}

impl Round {
    /// How many messages the round claimed.
    #[must_use]
    pub fn claimed(&self) -> usize {
        self.sent + self.retrying + self.failed + self.released
    }
}

struct Inner {
    uow: UnitOfWork,
    transport: Transport,
    settings: MailSettings,
    from: Mailbox,
    staff: Vec<Mailbox>,
    company: CompanySettings,
    public_url: String,
}

/// The background sender. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Inner>,
    /// Draws the receipts that paid invoices' messages attach (`receipt:PUBLIC_ID`).
    receipts: Option<Arc<dyn ReceiptSource>>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender over the outbox of `uow`; links are made absolute with `public_url`.
    ///
    /// # Errors
    /// `mail.from` or `mail.staff_to` do not parse.
    pub fn new(
        uow: UnitOfWork,
        transport: Transport,
        settings: &MailSettings,
        company: &CompanySettings,
        public_url: &str,
    ) -> Result<Sender, InvalidMailSetting> {
        Ok(Sender {
            inner: Arc::new(Inner {
                uow,
                transport,
                from: settings.from_mailbox()?,
                staff: settings.staff_mailboxes()?,
                settings: settings.clone(),
                company: company.clone(),
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
            receipts: None,
        })
    }

    /// This sender, drawing the receipts it attaches with `source`. Without one, a message
    /// that names a receipt fails (it is never sent without its receipt).
    #[must_use]
    pub fn with_receipts(mut self, source: Arc<dyn ReceiptSource>) -> Sender {
        self.receipts = Some(source);
        self
    }

    /// Runs until `stop` turns true: a round whenever messages are due, else a wait of
    /// `mail.poll_ms`. A round in progress finishes the message it is sending and hands the
    /// rest of its batch back. With the `off` transport it only waits for `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = std::time::Duration::from_millis(self.inner.settings.poll_ms);
        if self.inner.transport.is_off() {
            tracing::info!("mail.transport is off: messages stay in the outbox");
            let _ = stop.wait_for(|s| *s).await;
            return;
        }
        tracing::info!(transport = ?self.inner.transport, "e-mail sender started");
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.round(&stop).await {
                Ok(round) => round.claimed() > 0,
                Err(e) => {
                    tracing::warn!(error = %crate::chain(&e), "e-mail sender round failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!("e-mail sender stopped");
    }

    /// One round: claim a batch, send each message, record each outcome. `stop` turning true
    /// hands the unsent rest back.
    ///
    /// # Errors
    /// The claim failed (nothing was sent).
    pub async fn round(&self, stop: &watch::Receiver<bool>) -> Result<Round, SenderError> {
        let now = now_utc();
        let lease = now + secs(self.inner.settings.lease_secs);
        let limit = i64::from(self.inner.settings.batch_size);
        let batch = self
            .db(move |uow| uow.write(|tx| outbox::claim(tx, now, lease, limit)))
            .await?;
        let mut round = Round::default();
        for row in batch {
            if *stop.borrow() {
                let id = row.id;
                self.db(move |uow| uow.write(|tx| outbox::release(tx, id, lease)))
                    .await?;
                round.released += 1;
                continue;
            }
            match self.deliver(&row, lease).await {
                Ok(Outcome::Sent) => round.sent += 1,
                Ok(Outcome::Retrying) => round.retrying += 1,
                Ok(Outcome::Failed) => round.failed += 1,
                // Not recorded: the lease lapses and the message is tried again.
                Err(e) => {
                    tracing::warn!(outbox_id = row.id, error = %crate::chain(&e), "could not record an e-mail's outcome");
                }
            }
        }
        Ok(round)
    }

    /// The e-mail of a stored message, with its attachment made now (blocking: the receipt is
    /// read from the database and drawn).
    ///
    /// # Errors
    /// The row cannot become an e-mail (its facts or address are unusable, or its attachment
    /// cannot be made; [`ComposeError::is_transient`] says whether it may be later).
    pub fn compose(&self, row: &OutboxRow) -> Result<Composed, ComposeError> {
        let facts: Facts = row.facts().map_err(ComposeError::Facts)?;
        let cx = Context {
            public_url: &self.inner.public_url,
            company: &self.inner.company,
            language: &row.language,
        };
        let rendered = messages::render(&facts, &cx)?;
        let to = if row.is_staff() {
            self.inner.staff.clone()
        } else {
            let address = row.to_address.as_deref().ok_or(ComposeError::Address)?;
            vec![
                address
                    .parse::<Mailbox>()
                    .map_err(|_| ComposeError::Address)?,
            ]
        };
        let id = headers::message_id(&row.event_key, &row.recipient_role, &self.inner.from);
        let language = Language::from_code(&row.language).unwrap_or_default();
        let attachment = row
            .attachment
            .as_deref()
            .map(|slot| attachments::fill(slot, language, self.receipts.as_deref()))
            .transpose()
            .map_err(ComposeError::Attachment)?;
        let message = headers::build(&rendered, &self.inner.from, &to, id, attachment.as_ref())?;
        Ok(Composed {
            message,
            subject: rendered.subject,
            name: format!("{:06}-{}", row.id, row.kind),
        })
    }

    async fn deliver(
        &self,
        row: &OutboxRow,
        lease: chrono::NaiveDateTime,
    ) -> Result<Outcome, SenderError> {
        let span = tracing::info_span!("send_email", outbox_id = row.id, kind = %row.kind, attempt = row.attempts);
        self.deliver_in_span(row, lease).instrument(span).await
    }

    async fn deliver_in_span(
        &self,
        row: &OutboxRow,
        lease: chrono::NaiveDateTime,
    ) -> Result<Outcome, SenderError> {
        let id = row.id;
        let Composed {
            message,
            subject,
            name,
        } = match self.compose_blocking(row).await? {
            Ok(built) => built,
            Err(e) if e.is_transient() => {
                let error = crate::chain(&e);
                return self.try_later(row, lease, error, false).await;
            }
            Err(e) => {
                let error = crate::chain(&e);
                tracing::error!(error = %error, "an outbox message cannot be composed; failed");
                return self.give_up(row, lease, error, None).await;
            }
        };
        match self.inner.transport.send(&message, &name).await {
            Ok(answer) => {
                let now = now_utc();
                let held = self
                    .db(move |uow| {
                        uow.write(|tx| outbox::mark_sent(tx, id, lease, &subject, &answer, now))
                    })
                    .await?;
                if held {
                    tracing::info!("e-mail sent");
                } else {
                    tracing::warn!(
                        "e-mail sent after its claim lapsed; another sender may send it too"
                    );
                }
                Ok(Outcome::Sent)
            }
            Err(e) => {
                let permanent = matches!(e, SendError::Permanent(_));
                self.try_later(row, lease, e.to_string(), permanent).await
            }
        }
    }

    /// [`Sender::compose`] on the blocking pool (it reads the database and draws PDFs).
    async fn compose_blocking(
        &self,
        row: &OutboxRow,
    ) -> Result<Result<Composed, ComposeError>, SenderError> {
        let this = self.clone();
        let row = row.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| this.compose(&row)))
            .await
            .map_err(SenderError::Task)
    }

    /// Not delivered because of `text`: tried again after the backoff, or `failed` when its
    /// time or (for a `permanent` refusal) its tries are up.
    async fn try_later(
        &self,
        row: &OutboxRow,
        lease: chrono::NaiveDateTime,
        text: String,
        permanent: bool,
    ) -> Result<Outcome, SenderError> {
        let id = row.id;
        let now = now_utc();
        let next = next_try(
            &self.inner.settings,
            row.attempts,
            permanent,
            row.queued_at,
            now,
            &mut rand::rng(),
        );
        match next {
            NextTry::At(at) => {
                tracing::warn!(error = %text, next_attempt_at = %at, "e-mail not delivered; will retry");
                let answer = permanent.then(|| text.clone());
                self.db(move |uow| {
                    uow.write(|tx| outbox::mark_retry(tx, id, lease, at, &text, answer.as_deref()))
                })
                .await?;
                Ok(Outcome::Retrying)
            }
            NextTry::GiveUp => {
                tracing::error!(error = %text, "e-mail not delivered; given up");
                let answer = permanent.then(|| text.clone());
                self.give_up(row, lease, text, answer).await
            }
        }
    }

    /// `failed`; a customer's message also tells the staff, once, in the same transaction.
    async fn give_up(
        &self,
        row: &OutboxRow,
        lease: chrono::NaiveDateTime,
        error: String,
        answer: Option<String>,
    ) -> Result<Outcome, SenderError> {
        let id = row.id;
        let note = (!row.is_staff()).then(|| Facts::UndeliveredStaff {
            message_id: row.id,
            failed_kind: row.kind.clone(),
            to: row.to_address.clone().unwrap_or_default(),
            error: error.clone(),
        });
        let event = format!("message-{id}.undelivered");
        self.db(move |uow| {
            uow.write(|tx| {
                let held = outbox::mark_failed(tx, id, lease, &error, answer.as_deref())?;
                if let (true, Some(facts)) = (held, &note) {
                    outbox::enqueue(
                        tx,
                        &NewMessage {
                            event_key: &event,
                            role: RecipientRole::Staff,
                            to_address: None,
                            language: "en",
                            facts,
                            attachment: None,
                            now: now_utc(),
                        },
                    )?;
                }
                Ok::<_, PersistenceError>(())
            })
        })
        .await?;
        Ok(Outcome::Failed)
    }

    /// Runs database work on the blocking pool, in the current span.
    async fn db<T, F>(&self, f: F) -> Result<T, SenderError>
    where
        T: Send + 'static,
        F: FnOnce(&UnitOfWork) -> Result<T, PersistenceError> + Send + 'static,
    {
        let uow = self.inner.uow.clone();
        let span = tracing::Span::current();
        Ok(
            tokio::task::spawn_blocking(move || span.in_scope(|| f(&uow)))
                .await
                .map_err(SenderError::Task)??,
        )
    }
}

/// How one message's try ended.
enum Outcome {
    Sent,
    Retrying,
    Failed,
}

fn secs(s: u64) -> Duration {
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000))
}
