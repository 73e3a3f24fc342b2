//! The JSON bodies the API answers with, converted from the use cases' read models. Their OpenAPI
//! schemas are derived from these types, so the document describes exactly what is serialised:
//! amounts as decimal strings with a separate `currency` (docs/interface.md, "Data rules"), instants as RFC 3339
//! UTC to the second, enums from the domain's own lists ([`crate::openapi`]).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;
use wetech_app::{
    InvoiceSummary as SummaryView, InvoiceView, LeadReceipt as ReceiptView,
    PaymentStarted as Started, PaymentView, ServiceView,
};
use wetech_domain::{
    AttemptStatus, Currency, Gateway, InvoiceNumber, InvoiceStatus, MerchantReference, PublicId,
    ServiceCode,
};
use wetech_payments::NextStep;

use crate::error::ApiError;

fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// An active service of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    #[schema(schema_with = crate::openapi::service_code_schema)]
    code: ServiceCode,
    #[schema(example = "Business website")]
    name: String,
    /// The current price, a decimal string.
    #[schema(schema_with = crate::openapi::amount_schema)]
    price: String,
    #[schema(schema_with = crate::openapi::currency_schema)]
    currency: Currency,
}

impl From<ServiceView> for Service {
    fn from(s: ServiceView) -> Service {
        Service {
            code: s.code,
            name: s.name,
            price: s.price.to_decimal_string(),
            currency: s.price.currency(),
        }
    }
}

/// The invoice issued for a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceSummary {
    /// The unguessable public id used in every customer URL.
    #[schema(schema_with = crate::openapi::public_id_schema)]
    id: PublicId,
    #[schema(schema_with = crate::openapi::invoice_number_schema)]
    number: InvoiceNumber,
    /// `unpaid` when issued.
    #[schema(schema_with = crate::openapi::invoice_status_schema)]
    status: InvoiceStatus,
    #[schema(schema_with = crate::openapi::amount_schema)]
    amount: String,
    #[schema(schema_with = crate::openapi::currency_schema)]
    currency: Currency,
    /// The customer's invoice page.
    #[schema(format = "uri")]
    url: String,
}

/// `201` of `POST /api/v1/leads` (and its replay under the same `Idempotency-Key`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadReceipt {
    lead_id: i64,
    client_id: i64,
    invoice: InvoiceSummary,
}

impl From<&ReceiptView> for LeadReceipt {
    fn from(r: &ReceiptView) -> LeadReceipt {
        let SummaryView {
            id,
            number,
            status,
            amount,
            url,
        } = &r.invoice;
        LeadReceipt {
            lead_id: r.lead_id,
            client_id: r.client_id,
            invoice: InvoiceSummary {
                id: id.clone(),
                number: number.clone(),
                status: *status,
                amount: amount.to_decimal_string(),
                currency: amount.currency(),
                url: url.clone(),
            },
        }
    }
}

/// One payment attempt of an invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    /// The attempt's merchant reference.
    #[schema(schema_with = crate::openapi::merchant_reference_schema)]
    id: MerchantReference,
    #[schema(schema_with = crate::openapi::gateway_schema)]
    gateway: Gateway,
    #[schema(schema_with = crate::openapi::attempt_status_schema)]
    status: AttemptStatus,
    #[schema(schema_with = crate::openapi::amount_schema)]
    amount: String,
    #[serde(serialize_with = "rfc3339")]
    #[schema(schema_with = crate::openapi::instant_schema)]
    created_at: DateTime<Utc>,
}

/// `GET /api/v1/invoices/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invoice {
    #[schema(schema_with = crate::openapi::public_id_schema)]
    id: PublicId,
    #[schema(schema_with = crate::openapi::invoice_number_schema)]
    number: InvoiceNumber,
    #[schema(schema_with = crate::openapi::invoice_status_schema)]
    status: InvoiceStatus,
    #[schema(schema_with = crate::openapi::amount_schema)]
    amount: String,
    #[schema(schema_with = crate::openapi::currency_schema)]
    currency: Currency,
    /// The service code.
    #[schema(schema_with = crate::openapi::service_code_schema)]
    service: ServiceCode,
    /// The service's name when the invoice was issued.
    service_name: String,
    #[serde(serialize_with = "rfc3339")]
    #[schema(schema_with = crate::openapi::instant_schema)]
    issued_at: DateTime<Utc>,
    /// `null` until paid.
    #[serde(serialize_with = "rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    paid_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    payments: Vec<Payment>,
}

impl From<InvoiceView> for Invoice {
    fn from(v: InvoiceView) -> Invoice {
        Invoice {
            id: v.id,
            number: v.number,
            status: v.status,
            amount: v.amount.to_decimal_string(),
            currency: v.amount.currency(),
            service: v.service,
            service_name: v.service_name,
            issued_at: v.issued_at,
            paid_at: v.paid_at,
            payments: v
                .payments
                .into_iter()
                .map(|p: PaymentView| Payment {
                    id: p.id,
                    gateway: p.gateway,
                    status: p.status,
                    amount: p.amount.to_decimal_string(),
                    created_at: p.created_at,
                })
                .collect(),
        }
    }
}

/// `201` of `POST /api/v1/invoices/{id}/payments`: what the customer does next depends on the
/// gateway.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "gateway")]
pub enum PaymentStarted {
    /// Send the customer to Pesapal's payment page.
    #[serde(rename = "pesapal")]
    Pesapal {
        #[schema(schema_with = crate::openapi::merchant_reference_schema)]
        payment_id: MerchantReference,
        /// `pending`.
        #[schema(schema_with = crate::openapi::attempt_status_schema)]
        status: AttemptStatus,
        /// Pesapal's hosted payment page.
        #[schema(format = "uri")]
        redirect_url: String,
    },
    /// A payment request was pushed to the customer's phone.
    #[serde(rename = "azampay")]
    AzamPay {
        #[schema(schema_with = crate::openapi::merchant_reference_schema)]
        payment_id: MerchantReference,
        /// `pending`.
        #[schema(schema_with = crate::openapi::attempt_status_schema)]
        status: AttemptStatus,
        /// What to tell the customer.
        message: String,
    },
}

impl TryFrom<Started> for PaymentStarted {
    type Error = ApiError;

    fn try_from(s: Started) -> Result<PaymentStarted, ApiError> {
        match (s.gateway, s.next_step) {
            (Gateway::Pesapal, NextStep::Redirect { url }) => Ok(PaymentStarted::Pesapal {
                payment_id: s.payment_id,
                status: s.status,
                redirect_url: url,
            }),
            (Gateway::AzamPay, NextStep::ApproveOnPhone { message }) => {
                Ok(PaymentStarted::AzamPay {
                    payment_id: s.payment_id,
                    status: s.status,
                    message,
                })
            }
            (gateway @ (Gateway::Pesapal | Gateway::AzamPay), next) => Err(ApiError::internal(
                anyhow::anyhow!("{gateway} answered with an unexpected next step: {next:?}"),
            )),
        }
    }
}
