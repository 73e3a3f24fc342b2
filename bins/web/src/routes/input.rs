//! What the API's JSON bodies and the pages' forms carry, parsed once into domain types: a lead,
//! and the choice of how to pay. Both are read field by field by [`Fields`] (so every bad,
//! missing and unknown field is named at once) and the JSON API's request schemas are derived
//! from these same types. The patterns below describe the canonical forms; the parsers also take
//! the spellings the schemas' descriptions name (separators in phone numbers, any case).

use utoipa::ToSchema;
use wetech_app::{Language, NewLead, PaymentChoice};
use wetech_domain::{
    CompanyName, Country, EmailAddress, Gateway, LeadMessage, PersonName, PhoneNumber, ServiceCode,
};
use wetech_payments::MobileProvider;

use crate::extract::Fields;

/// A lead: `POST /api/v1/leads` and the form of `POST /leads`. Unknown fields are refused.
#[derive(ToSchema)]
// Read by utoipa only (`additionalProperties: false`); `Fields::finish` refuses unknown fields.
#[serde(deny_unknown_fields)]
pub struct LeadRequest {
    /// 1–120 characters with at least one letter; no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 120, example = "Asha Mwakyusa")]
    pub name: PersonName,
    /// The client's e-mail address (the client's identity, compared case-insensitively).
    #[schema(value_type = String, format = Email, max_length = 254, example = "asha@example.co.tz")]
    pub email: EmailAddress,
    /// An East-African mobile number: `+2557…`, `2557…` or `07…` (also +254, +256, +250,
    /// +257; spaces, dashes, dots and brackets are ignored); stored in E.164.
    #[schema(
        value_type = String,
        pattern = r"^(\+?(255[67][0-9]{8}|254[17][0-9]{8}|2567[0-9]{8}|2507[0-9]{8}|257[67][0-9]{7})|0[67][0-9]{8})$",
        example = "0754123456"
    )]
    pub phone: PhoneNumber,
    /// Optional; at most 200 characters.
    #[schema(value_type = Option<String>, max_length = 200, example = "Mwakyusa Traders")]
    pub company: Option<CompanyName>,
    /// An active service code (`GET /api/v1/services`), in any case.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{2,32}$", example = "WEB-BASIC")]
    pub service: ServiceCode,
    /// Optional; at most 2000 characters.
    #[schema(value_type = Option<String>, max_length = 2000, example = "Karibu")]
    pub message: Option<LeadMessage>,
}

impl LeadRequest {
    /// Reads the lead's fields; `None` when one is missing or bad (recorded in `fields`).
    pub fn read(fields: &mut Fields) -> Option<LeadRequest> {
        let name = fields.required("name", PersonName::parse);
        let email = fields.required("email", EmailAddress::parse);
        let phone = fields.required("phone", PhoneNumber::parse);
        let company = fields.optional("company", CompanyName::parse);
        let service = fields.required("service", ServiceCode::parse);
        let message = fields.optional("message", LeadMessage::parse);
        Some(LeadRequest {
            name: name?,
            email: email?,
            phone: phone?,
            company,
            service: service?,
            message,
        })
    }
}

impl LeadRequest {
    /// The lead to record, submitted in `language`.
    pub fn into_lead(self, language: Language) -> NewLead {
        let r = self;
        NewLead {
            name: r.name,
            email: r.email,
            phone: r.phone,
            company: r.company,
            service: r.service,
            message: r.message,
            language,
        }
    }
}

/// How to pay: `POST /api/v1/invoices/{id}/payments` and the form of `POST /invoices/{id}/pay`.
/// Each variant takes exactly its own fields.
#[derive(ToSchema)]
// Read by utoipa only; `PaymentRequest::read` and `Fields::finish` apply the same rules.
#[serde(tag = "gateway", deny_unknown_fields)]
pub enum PaymentRequest {
    /// Pesapal's hosted page (card or mobile money): `{"gateway":"pesapal"}`.
    #[serde(rename = "pesapal")]
    Pesapal,
    /// An AzamPay push to a Tanzanian mobile-money account.
    #[serde(rename = "azampay")]
    AzamPay {
        /// A Tanzanian mobile number: `2557…`, `+2557…`, `07…` (or 6 for 7).
        #[schema(value_type = String, pattern = r"^(\+?255|0)[67][0-9]{8}$", example = "255754123456")]
        phone: PhoneNumber,
        /// The mobile network (any case).
        #[schema(schema_with = crate::openapi::provider_schema)]
        provider: MobileProvider,
    },
}

impl PaymentRequest {
    /// Reads `gateway` (and `phone`, `provider` for AzamPay); `None` when something is missing
    /// or bad (recorded in `fields`).
    pub fn read(fields: &mut Fields) -> Option<PaymentRequest> {
        let gateway = fields.required("gateway", |s| {
            let s = s.trim();
            Gateway::ALL
                .iter()
                .copied()
                .find(|g| g.as_str().eq_ignore_ascii_case(s))
                .ok_or("must be \"pesapal\" or \"azampay\"")
        });
        match gateway {
            Some(Gateway::AzamPay) => {
                // AzamPay pushes to Tanzanian mobile money accounts only.
                let phone = fields.required("phone", |s| match PhoneNumber::parse(s) {
                    Ok(p) if p.country() == Country::Tanzania => Ok(p),
                    Ok(_) => Err(
                        "must be a Tanzanian mobile number (+2556…, +2557…, 06…, 07…) for AzamPay"
                            .to_owned(),
                    ),
                    Err(e) => Err(e.to_string()),
                });
                // Exactly the names the API documents, in any case.
                let provider = fields.required("provider", |s| {
                    MobileProvider::ALL
                        .into_iter()
                        .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
                        .ok_or("must be one of Airtel, Tigo, Halopesa, Azampesa, Mpesa")
                });
                Some(PaymentRequest::AzamPay {
                    phone: phone?,
                    provider: provider?,
                })
            }
            // Pesapal takes no other field: a `phone` or `provider` is an unknown field.
            Some(Gateway::Pesapal) => Some(PaymentRequest::Pesapal),
            None => {
                // Still read (and so not report as unknown) the AzamPay fields.
                fields.ignore("phone");
                fields.ignore("provider");
                None
            }
        }
    }
}

impl From<PaymentRequest> for PaymentChoice {
    fn from(r: PaymentRequest) -> PaymentChoice {
        match r {
            PaymentRequest::Pesapal => PaymentChoice::Pesapal,
            PaymentRequest::AzamPay { phone, provider } => {
                PaymentChoice::AzamPay { phone, provider }
            }
        }
    }
}
