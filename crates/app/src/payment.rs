//! Starting a payment: a new attempt with its own merchant reference, the gateway called between
//! two units of work (never inside a transaction), then the attempt pending — or failed / expired
//! and the invoice back to unpaid.

use chrono::NaiveDateTime;
use tracing::Instrument as _;
use wetech_domain::{
    AttemptEvent, AttemptStatus, Gateway, InvoiceEvent, InvoiceStatus, MerchantReference,
    PhoneNumber, PublicId,
};
use wetech_payments::pesapal::IpnNotificationType;
use wetech_payments::{
    CheckoutRequest, CheckoutResponse, GatewayError, MobileProvider, NextStep, Payer,
    PaymentGateway,
};
use wetech_persistence::repo::{app_settings, attempts, clients, invoices};
use wetech_persistence::{DbConnection, now_utc};

use crate::error::{AppError, chain};
use crate::paths;
use crate::usecases::UseCases;

/// Key of the stored Pesapal IPN id in the settings table.
pub const PESAPAL_IPN_ID_KEY: &str = "pesapal.ipn_id";

/// How the customer wants to pay.
#[derive(Debug, Clone)]
pub enum PaymentChoice {
    /// Pesapal's hosted page (card or mobile money).
    Pesapal,
    /// AzamPay mobile-money push to this phone through this provider.
    AzamPay {
        /// The paying phone.
        phone: PhoneNumber,
        /// The mobile network.
        provider: MobileProvider,
    },
}

impl PaymentChoice {
    /// The gateway this choice goes through.
    #[must_use]
    pub const fn gateway(&self) -> Gateway {
        match self {
            PaymentChoice::Pesapal => Gateway::Pesapal,
            PaymentChoice::AzamPay { .. } => Gateway::AzamPay,
        }
    }
}

/// A started payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentStarted {
    /// The attempt's merchant reference.
    pub payment_id: MerchantReference,
    /// The gateway it went to.
    pub gateway: Gateway,
    /// `pending`.
    pub status: AttemptStatus,
    /// What the customer does next: go to the gateway's page, or approve on the phone.
    pub next_step: NextStep,
}

struct Prepared {
    attempt_id: i64,
    gateway: Gateway,
    reference: MerchantReference,
    amount_minor: i64,
    currency: wetech_domain::Currency,
    service_name: String,
    invoice_number: wetech_domain::InvoiceNumber,
    invoice_public_id: PublicId,
    client_email: wetech_domain::EmailAddress,
    client_phone: PhoneNumber,
    client_name: String,
}

impl UseCases {
    /// Starts a payment of the invoice `public_id`.
    pub async fn start_payment(
        &self,
        public_id: &PublicId,
        choice: PaymentChoice,
    ) -> Result<PaymentStarted, AppError> {
        let gateway_name = choice.gateway().as_str();
        let gateway: std::sync::Arc<dyn PaymentGateway> = match &choice {
            PaymentChoice::Pesapal => match &self.gateways.pesapal {
                Some(g) => g.clone(),
                None => return Err(AppError::GatewayDisabled("pesapal")),
            },
            PaymentChoice::AzamPay { .. } => match &self.gateways.azampay {
                Some(g) => g.clone(),
                None => return Err(AppError::GatewayDisabled("azampay")),
            },
        };
        let span = tracing::info_span!(
            "start_payment",
            invoice_id = %public_id,
            gateway = gateway_name,
            payment_id = tracing::field::Empty,
        );
        async move {
            let prepared = self.prepare_attempt(public_id, &choice).await?;
            metrics::counter!("wetech_payments_started_total", "gateway" => gateway_name).increment(1);
            tracing::Span::current().record("payment_id", prepared.reference.as_str());
            if matches!(choice, PaymentChoice::Pesapal)
                && let Err(e) = self.ensure_pesapal_ipn().await {
                    // Nothing was sent to the gateway: the attempt failed.
                    self.end_attempt_before_checkout(&prepared, AttemptStatus::Failed, &chain(&e).to_string()).await?;
                    return Err(e);
                }
            let request = self.checkout_request(&prepared, &choice)?;
            let mut outcome = gateway.start_checkout(&request).await;
            if matches!(choice, PaymentChoice::Pesapal)
                && matches!(&outcome, Err(GatewayError::Rejected { code, .. })
                    if code.eq_ignore_ascii_case("invalid_notification_id"))
            {
                // The IPN id we keep is unknown to this Pesapal (a restarted simulator, a switch
                // between sandbox and live): the order was refused, so it is safe to register
                // the IPN URL again and send it once more.
                tracing::warn!("pesapal does not know the stored IPN id; registering the IPN URL again");
                outcome = match self.register_pesapal_ipn_once().await {
                    Ok(()) => gateway.start_checkout(&request).await,
                    Err(AppError::Gateway(e)) => Err(e),
                    Err(e) => {
                        self.end_attempt_before_checkout(&prepared, AttemptStatus::Failed, &chain(&e).to_string()).await?;
                        return Err(e);
                    }
                };
            }
            match outcome {
                Ok(response) => self.record_checkout_accepted(&prepared, &response).await,
                Err(e) => {
                    tracing::warn!(error = %chain(&e), may_have_reached = e.may_have_reached_gateway(), "checkout failed");
                    self.record_checkout_failure(&prepared, &e).await?;
                    Err(AppError::Gateway(e))
                }
            }
        }
        .instrument(span)
        .await
    }

    fn checkout_request(
        &self,
        p: &Prepared,
        choice: &PaymentChoice,
    ) -> Result<CheckoutRequest, AppError> {
        let currency =
            wetech_payments::Currency::parse(p.currency.as_str()).map_err(AppError::corrupt)?;
        let amount = wetech_payments::Money::new(p.amount_minor, currency);
        let mut names = p.client_name.split_whitespace();
        let first = names.next().map(str::to_owned);
        let rest: Vec<&str> = names.collect();
        let last = if rest.is_empty() {
            None
        } else {
            Some(rest.join(" "))
        };
        let (phone, provider) = match choice {
            PaymentChoice::Pesapal => (Some(p.client_phone.as_str().to_owned()), None),
            PaymentChoice::AzamPay { phone, provider } => {
                (Some(phone.msisdn().to_owned()), Some(*provider))
            }
        };
        let base = self.public_base();
        Ok(CheckoutRequest {
            merchant_reference: p.reference.as_str().to_owned(),
            amount,
            description: truncate(
                &format!("{} — invoice {}", p.service_name, p.invoice_number),
                100,
            ),
            payer: Payer {
                email: Some(p.client_email.as_str().to_owned()),
                phone,
                first_name: first,
                last_name: last,
                country_code: Some("TZ".to_owned()),
            },
            callback_url: Some(format!("{base}{}", paths::PESAPAL_RETURN)),
            // Back on the invoice page, which then says the payment was cancelled.
            cancellation_url: Some(format!(
                "{base}{}?{}=1",
                paths::invoice_page(&p.invoice_public_id),
                paths::CANCELLED_PARAM
            )),
            provider,
        })
    }

    /// Unit of work 1: checks the invoice can take a payment, marks it pending and records a new
    /// attempt in `initiated`.
    async fn prepare_attempt(
        &self,
        public_id: &PublicId,
        choice: &PaymentChoice,
    ) -> Result<Prepared, AppError> {
        let public_id = public_id.clone();
        let choice = choice.clone();
        let stale_before = now_utc()
            - chrono::Duration::from_std(self.retry_after())
                .unwrap_or(chrono::Duration::minutes(2));
        self.blocking(move |uow| {
            uow.write(|tx| {
                let inv = invoices::find_by_public_id(tx, public_id.as_str())?
                    .ok_or(AppError::NotFound("invoice"))?;
                match inv.status {
                    InvoiceStatus::Paid | InvoiceStatus::Reversed | InvoiceStatus::Refunded => {
                        return Err(AppError::Conflict(format!(
                            "the invoice is already {}",
                            inv.status
                        )));
                    }
                    // Voided in the back office: it cannot be paid.
                    InvoiceStatus::Void => {
                        return Err(AppError::Conflict("the invoice is void".into()));
                    }
                    InvoiceStatus::Pending => {
                        expire_stale_attempts(tx, inv.id, stale_before, choice.gateway())?;
                    }
                    InvoiceStatus::Unpaid => {}
                }
                let next = InvoiceStatus::Unpaid
                    .apply(InvoiceEvent::AttemptStarted)
                    .map_err(AppError::from)?;
                if !invoices::transition_invoice(tx, inv.id, InvoiceStatus::Unpaid, next, None)? {
                    return Err(AppError::Conflict(
                        "a payment of this invoice is already under way; wait for it to finish"
                            .into(),
                    ));
                }
                let client = clients::find_by_id(tx, inv.client_id)?
                    .ok_or_else(|| AppError::corrupt("invoice without client"))?;
                let reference = MerchantReference::generate();
                let (payer_phone, provider) = match &choice {
                    PaymentChoice::Pesapal => (None, None),
                    PaymentChoice::AzamPay { phone, provider } => {
                        (Some(phone), Some(provider.as_str()))
                    }
                };
                let attempt = attempts::insert(
                    tx,
                    &attempts::NewAttempt {
                        invoice_id: inv.id,
                        merchant_reference: reference.as_str(),
                        gateway: choice.gateway(),
                        amount_minor: inv.amount_minor,
                        currency: inv.currency.as_str(),
                        status: AttemptStatus::Initiated,
                        payer_phone: payer_phone.map(PhoneNumber::as_str),
                        provider,
                    },
                )?;
                tracing::info!(
                    payment_id = %reference,
                    client_id = client.id,
                    phone = %payer_phone.map(|p| p.masked().to_string()).unwrap_or_default(),
                    "payment attempt recorded"
                );
                Ok(Prepared {
                    attempt_id: attempt.id,
                    gateway: choice.gateway(),
                    reference,
                    amount_minor: inv.amount_minor,
                    currency: inv.currency,
                    service_name: inv.service_name,
                    invoice_number: inv.number,
                    invoice_public_id: public_id.clone(),
                    client_email: client.email,
                    client_phone: client.phone,
                    client_name: client.name,
                })
            })
        })
        .await
    }

    /// Unit of work 2 (success): the attempt pending with the gateway's reference.
    async fn record_checkout_accepted(
        &self,
        p: &Prepared,
        response: &CheckoutResponse,
    ) -> Result<PaymentStarted, AppError> {
        let id = p.attempt_id;
        let gateway_reference = response.gateway_reference.clone();
        self.blocking(move |uow| {
            uow.write(|tx| {
                let fields = attempts::AttemptUpdate {
                    gateway_reference: Some(&gateway_reference),
                    ..attempts::AttemptUpdate::default()
                };
                // A fast notification may already have moved it on; then only keep the reference.
                if !attempts::transition_attempt(
                    tx,
                    id,
                    AttemptStatus::Initiated,
                    AttemptStatus::Pending,
                    &fields,
                    "the gateway accepted the checkout",
                )? {
                    attempts::update_details(tx, id, &fields)?;
                }
                Ok(())
            })
        })
        .await?;
        tracing::info!(gateway_reference = %response.gateway_reference, "checkout accepted");
        Ok(PaymentStarted {
            payment_id: p.reference.clone(),
            gateway: p.gateway,
            status: AttemptStatus::Pending,
            next_step: response.next_step.clone(),
        })
    }

    /// Unit of work 2 (failure): the attempt failed — or expired when the outcome is unknown —
    /// and the invoice back to unpaid.
    async fn record_checkout_failure(
        &self,
        p: &Prepared,
        error: &GatewayError,
    ) -> Result<(), AppError> {
        // A checkout that may exist at the gateway is not a failure: a late verified success
        // must still settle it.
        let to = if error.is_outcome_unknown() {
            AttemptStatus::Expired
        } else {
            AttemptStatus::Failed
        };
        self.end_attempt_before_checkout(p, to, &chain(error).to_string())
            .await
    }

    /// Ends the attempt in `to` with `reason` (failure reason and history cause) and puts the
    /// invoice back to unpaid.
    async fn end_attempt_before_checkout(
        &self,
        p: &Prepared,
        to: AttemptStatus,
        reason: &str,
    ) -> Result<(), AppError> {
        let id = p.attempt_id;
        let reason = truncate(reason, 500);
        self.blocking(move |uow| {
            uow.write(|tx| {
                let fields = attempts::AttemptUpdate {
                    failure_reason: Some(&reason),
                    ..attempts::AttemptUpdate::default()
                };
                end_open_attempt(tx, id, to, &fields, &format!("checkout: {reason}"))
            })
        })
        .await
    }

    /// The Pesapal IPN id: configured, else stored, else found or registered (and stored).
    /// Errors: [`AppError::Gateway`] from Pesapal, [`AppError::Persistence`] from reading or
    /// storing the id.
    async fn ensure_pesapal_ipn(&self) -> Result<(), AppError> {
        let Some(client) = self.gateways.pesapal.clone() else {
            return Err(AppError::GatewayDisabled("pesapal"));
        };
        if client.ipn_id().is_some() {
            return Ok(());
        }
        let stored = self
            .blocking(|uow| {
                uow.read(|c| app_settings::get(c, PESAPAL_IPN_ID_KEY).map_err(AppError::from))
            })
            .await?;
        if let Some(id) = stored {
            client.set_ipn_id(&id);
            return Ok(());
        }
        self.register_pesapal_ipn_once().await
    }

    /// Looks up or registers the IPN URL `{public_url}/payments/pesapal/ipn` (ignoring any id kept
    /// so far), stores the id and hands it to the client.
    pub(crate) async fn register_pesapal_ipn_again(&self) -> Result<(), AppError> {
        let Some(client) = self.gateways.pesapal.clone() else {
            return Err(AppError::GatewayDisabled("pesapal"));
        };
        let url = format!("{}{}", self.public_base(), paths::PESAPAL_IPN);
        let registration = client
            .find_or_register_ipn(&url, IpnNotificationType::Get)
            .await
            .map_err(AppError::Gateway)?;
        self.store_ipn_id(&registration.ipn_id).await?;
        client.set_ipn_id(&registration.ipn_id);
        tracing::info!(ipn_id = %registration.ipn_id, url = %url, "pesapal IPN registered");
        Ok(())
    }

    async fn store_ipn_id(&self, ipn_id: &str) -> Result<(), AppError> {
        let id = ipn_id.to_owned();
        self.blocking(move |uow| {
            uow.write(|tx| app_settings::set(tx, PESAPAL_IPN_ID_KEY, &id).map_err(AppError::from))
        })
        .await
    }

    /// Finds or registers the IPN URL (default `{public_url}/payments/pesapal/ipn`) with Pesapal,
    /// stores its id and returns it (`ops pesapal register-ipn`).
    pub async fn register_pesapal_ipn(&self, url: Option<&str>) -> Result<String, AppError> {
        let client = self
            .gateways
            .pesapal
            .clone()
            .ok_or(AppError::GatewayDisabled("pesapal"))?;
        let url = url.map_or_else(
            || format!("{}{}", self.public_base(), paths::PESAPAL_IPN),
            str::to_owned,
        );
        let registration = client
            .find_or_register_ipn(&url, IpnNotificationType::Get)
            .await
            .map_err(AppError::Gateway)?;
        self.store_ipn_id(&registration.ipn_id).await?;
        client.set_ipn_id(&registration.ipn_id);
        Ok(registration.ipn_id)
    }
}

/// Ends an open attempt (`initiated` or `pending`) in `to` (failed, expired or reversed) for `cause` and,
/// when this call ended it, puts the invoice back to unpaid. Returns nothing: losing the race
/// means someone else already ended it (or it went under review, which nothing automatic leaves).
pub(crate) fn end_open_attempt(
    tx: &mut DbConnection,
    attempt_id: i64,
    to: AttemptStatus,
    fields: &attempts::AttemptUpdate<'_>,
    cause: &str,
) -> Result<(), AppError> {
    let event = match to {
        AttemptStatus::Expired => AttemptEvent::Expired,
        AttemptStatus::Reversed => AttemptEvent::Reversed,
        _ => AttemptEvent::Failed,
    };
    for from in [AttemptStatus::Initiated, AttemptStatus::Pending] {
        if from.apply(event).ok() != Some(to) {
            continue;
        }
        if attempts::transition_attempt(tx, attempt_id, from, to, fields, cause)? {
            let attempt = attempts::find_by_id(tx, attempt_id)?
                .ok_or_else(|| AppError::corrupt("attempt vanished"))?;
            invoices::transition_invoice(
                tx,
                attempt.invoice_id,
                InvoiceStatus::Pending,
                InvoiceStatus::Unpaid,
                None,
            )?;
            return Ok(());
        }
    }
    Ok(())
}

/// A pending invoice whose open attempts are all older than `stale_before` gets them expired (and
/// goes back to unpaid), so the customer may try again; a younger one blocks (409).
fn expire_stale_attempts(
    tx: &mut DbConnection,
    invoice_id: i64,
    stale_before: NaiveDateTime,
    gateway: Gateway,
) -> Result<(), AppError> {
    let open: Vec<_> = attempts::list_for_invoice(tx, invoice_id)?
        .into_iter()
        .filter(|a| matches!(a.status, AttemptStatus::Initiated | AttemptStatus::Pending))
        .collect();
    // A recent attempt through the same gateway is a double click or a second tab: refused, so
    // that one customer gets one push. A customer who turns to the other gateway (left the
    // Pesapal page, pays by phone instead) may: the open attempt is superseded (expired, so a
    // late success through it still settles, and a second payment goes under review for a refund).
    if open
        .iter()
        .any(|a| a.updated_at >= stale_before && a.gateway == gateway)
    {
        return Err(AppError::Conflict(
            "a payment of this invoice is already under way; wait for it to finish".into(),
        ));
    }
    let fields = attempts::AttemptUpdate {
        failure_reason: Some("superseded by a new payment attempt"),
        ..attempts::AttemptUpdate::default()
    };
    for a in &open {
        end_open_attempt(
            tx,
            a.id,
            AttemptStatus::Expired,
            &fields,
            "superseded by a new payment attempt",
        )?;
    }
    if open.is_empty() {
        // Pending without an open attempt cannot be reached through the use cases; repair it.
        invoices::transition_invoice(
            tx,
            invoice_id,
            InvoiceStatus::Pending,
            InvoiceStatus::Unpaid,
            None,
        )?;
    }
    Ok(())
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
