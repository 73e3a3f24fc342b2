//! How a simulator behaves: token lifetime, credentials to insist on, how pushes end, which
//! callback generation it sends, how notifications are delivered.

use std::time::Duration;

/// Which generation of AzamPay callback body the simulator sends (docs/payments.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackSchema {
    /// `msisdn, amount, message, utilityref, operator, reference, transactionstatus,
    /// submerchantAcc, fspReferenceId, additionalProperties`; never signed.
    Legacy,
    /// Adds `externalreference`, `transid`, `mnoreference`, `user`, `password`, `clientId` and
    /// `signature`.
    Current,
}

/// How the simulated AzamPay writes the callback fields real callbacks are seen to vary in
/// (docs/payments.md, "AzamPay callbacks and signatures"). The default is the documented form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackShape {
    /// How `amount` is written.
    pub amount: AmountForm,
    /// How `msisdn` is written, or whether it is sent at all.
    pub msisdn: MsisdnForm,
    /// Adds fields no schema documents (`source`, `channel`, `extra`), as newer senders may.
    pub extra_fields: bool,
    /// Replaces `operator` (signed as sent), e.g. with a long text holding line breaks.
    pub operator: Option<String>,
    /// Replaces `message`.
    pub message: Option<String>,
}

/// `amount` in a callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AmountForm {
    /// A string of whole units: `"2000"` (the documented form).
    #[default]
    Text,
    /// A string with the currency's decimals: `"2000.00"`.
    DecimalText,
    /// A JSON number of whole units: `2000`.
    Number,
    /// A JSON number with a fraction: `2000.0`.
    DecimalNumber,
}

/// `msisdn` in a callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MsisdnForm {
    /// A string: `"255712345678"` (the documented form).
    #[default]
    Text,
    /// A JSON number: `255712345678`.
    Number,
    /// Not sent at all (the official plugin does not require it).
    Missing,
    /// `null`.
    Null,
    /// `""`.
    Empty,
}

/// How a simulated AzamPay push ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Wait for the phone page (`/_simulator/azampay/phone`) or the control API.
    Manual,
    /// The customer approves after this delay.
    Approve {
        /// Delay before approval.
        after: Duration,
    },
    /// The customer declines after this delay.
    Fail {
        /// Delay before the failure.
        after: Duration,
    },
}

/// How the simulated AzamPay status query states `data` (docs/payments.md: the real endpoint
/// for collections is UNCONFIRMED; community samples show a sentence, not an object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusDataForm {
    /// An object with `transactionstatus`, `amount`, `utilityref`, … (the default).
    Object,
    /// A plain sentence: `"Transaction successful."`, `"Transaction failed"`,
    /// `"Transaction pending"`.
    Sentence,
}

/// Body encoding of a POST IPN (UNCONFIRMED at Pesapal: JSON is what integrators parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostEncoding {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// Behaviour of a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Lifetime of issued access tokens (both gateways). Default five minutes.
    pub token_lifetime: Duration,
    /// Pesapal `(consumer_key, consumer_secret)` to insist on; `None` accepts any non-empty pair.
    pub pesapal_credentials: Option<(String, String)>,
    /// AzamPay `(appName, clientId, clientSecret)` to insist on; `None` accepts any.
    pub azampay_credentials: Option<(String, String, String)>,
    /// When set, AzamPay calls must carry this `X-API-Key`.
    pub azampay_api_key: Option<String>,
    /// Where AzamPay callbacks go (configured out of band, like the real one); `None`: not sent.
    pub azampay_callback_url: Option<String>,
    /// How pushes end.
    pub azampay_push: PushOutcome,
    /// Callback generation to send.
    pub azampay_callback_schema: CallbackSchema,
    /// Sign current-schema callbacks with [`crate::DEV_SIGNING_KEY_PEM`].
    pub azampay_sign_callbacks: bool,
    /// How callback fields are written.
    pub azampay_callback_shape: CallbackShape,
    /// The failure word in callbacks (`failure` per the spec, `failed` per the plugin).
    pub azampay_failure_word: String,
    /// How the AzamPay status query states `data`.
    pub azampay_status_data: StatusDataForm,
    /// Encoding of POST IPNs.
    pub pesapal_ipn_post_encoding: PostEncoding,
    /// `payment_method` of paid Pesapal orders.
    pub pesapal_payment_method: String,
    /// Attempts per IPN / callback delivery (until acknowledged); `0` delivers nothing (a lost
    /// notification, for reconciliation tests).
    pub delivery_attempts: u32,
    /// Pause between delivery attempts.
    pub delivery_retry_delay: Duration,
    /// Origin used in URLs the simulator hands out (e.g. `http://127.0.0.1:8000`); when `None`
    /// it is taken from each request's `Host`.
    pub public_origin: Option<String>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            token_lifetime: Duration::from_secs(300),
            pesapal_credentials: None,
            azampay_credentials: None,
            azampay_api_key: None,
            azampay_callback_url: None,
            azampay_push: PushOutcome::Manual,
            azampay_callback_schema: CallbackSchema::Current,
            azampay_sign_callbacks: true,
            azampay_callback_shape: CallbackShape::default(),
            azampay_failure_word: "failure".to_owned(),
            azampay_status_data: StatusDataForm::Object,
            pesapal_ipn_post_encoding: PostEncoding::Json,
            pesapal_payment_method: "Visa".to_owned(),
            delivery_attempts: 3,
            delivery_retry_delay: Duration::from_secs(1),
            public_origin: None,
        }
    }
}
