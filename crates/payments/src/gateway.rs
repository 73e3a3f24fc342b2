//! The gateway trait and the crate's own request, answer, status and notification types.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::azampay::AzamPayCallback;
use crate::error::GatewayError;
use crate::money::{Currency, Money};
use crate::pesapal::PesapalIpn;

/// A boxed, `Send` future: what the object-safe [`PaymentGateway`] methods return.
pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GatewayError>> + Send + 'a>>;

/// Which gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gateway {
    /// Pesapal API 3.0 (card and mobile money on a hosted page).
    Pesapal,
    /// AzamPay checkout (Tanzanian mobile-money push).
    AzamPay,
}

/// What AzamPay's checkout takes: TZS only (docs/payments.md).
const AZAMPAY_CURRENCIES: &[Currency] = &[Currency::TZS];

/// What Pesapal takes: the currencies of the countries it publishes merchant keys for (Kenya,
/// Uganda, Tanzania, Rwanda, Malawi, Zambia) and USD for cards. UNCONFIRMED: which of them a
/// merchant account accepts is agreed with Pesapal per account (docs/payments.md).
const PESAPAL_CURRENCIES: &[Currency] = &[
    Currency::TZS,
    Currency::KES,
    Currency::UGX,
    Currency::RWF,
    Currency::MWK,
    Currency::ZMW,
    Currency::USD,
];

impl Gateway {
    /// Both gateways.
    pub const ALL: [Gateway; 2] = [Gateway::Pesapal, Gateway::AzamPay];

    /// The currencies this gateway takes a payment in.
    ///
    /// ```
    /// use wetech_payments::{Currency, Gateway};
    /// assert_eq!(Gateway::AzamPay.currencies(), &[Currency::TZS]);
    /// assert!(Gateway::Pesapal.takes(Currency::KES));
    /// assert!(!Gateway::AzamPay.takes(Currency::KES));
    /// ```
    #[must_use]
    pub const fn currencies(self) -> &'static [Currency] {
        match self {
            Gateway::Pesapal => PESAPAL_CURRENCIES,
            Gateway::AzamPay => AZAMPAY_CURRENCIES,
        }
    }

    /// Whether this gateway takes a payment in `currency`.
    #[must_use]
    pub fn takes(self, currency: Currency) -> bool {
        self.currencies().contains(&currency)
    }

    /// `"pesapal"` or `"azampay"`, as stored and logged.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Gateway::Pesapal => "pesapal",
            Gateway::AzamPay => "azampay",
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// AzamPay's mobile-money operators, spelled as its checkout `provider` enum wants them.
///
/// ```
/// use wetech_payments::MobileProvider;
/// assert_eq!(MobileProvider::parse("tigopesa"), Some(MobileProvider::Tigo));
/// assert_eq!(MobileProvider::parse("vodacom"), Some(MobileProvider::Mpesa));
/// assert_eq!(MobileProvider::Halopesa.as_str(), "Halopesa");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MobileProvider {
    /// Airtel Money.
    Airtel,
    /// Tigo Pesa (now "Mixx by Yas").
    Tigo,
    /// HaloPesa.
    Halopesa,
    /// AzamPesa.
    Azampesa,
    /// Vodacom M-Pesa.
    Mpesa,
}

impl MobileProvider {
    /// Every provider.
    pub const ALL: [MobileProvider; 5] = [
        MobileProvider::Airtel,
        MobileProvider::Tigo,
        MobileProvider::Halopesa,
        MobileProvider::Azampesa,
        MobileProvider::Mpesa,
    ];

    /// The checkout `provider` value: `Airtel`, `Tigo`, `Halopesa`, `Azampesa`, `Mpesa`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MobileProvider::Airtel => "Airtel",
            MobileProvider::Tigo => "Tigo",
            MobileProvider::Halopesa => "Halopesa",
            MobileProvider::Azampesa => "Azampesa",
            MobileProvider::Mpesa => "Mpesa",
        }
    }

    /// Case-insensitive; also accepts the partner names of GetPaymentPartners (`Tigopesa`,
    /// `HaloPesa`, `vodacom`) and `M-Pesa`.
    #[must_use]
    pub fn parse(text: &str) -> Option<MobileProvider> {
        let t: String = text
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect::<String>()
            .to_ascii_lowercase();
        match t.as_str() {
            "airtel" | "airtelmoney" => Some(MobileProvider::Airtel),
            "tigo" | "tigopesa" | "mixx" | "mixxbyyas" | "yas" => Some(MobileProvider::Tigo),
            "halopesa" | "halotel" => Some(MobileProvider::Halopesa),
            "azampesa" | "azam" => Some(MobileProvider::Azampesa),
            "mpesa" | "vodacom" => Some(MobileProvider::Mpesa),
            _ => None,
        }
    }
}

impl fmt::Display for MobileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who pays. Pesapal needs an e-mail address or a phone number; AzamPay needs the phone.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Payer {
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number (E.164 or local form; AzamPay normalises it to `255…`).
    pub phone: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// ISO 3166 alpha-2 country code, e.g. `TZ`.
    pub country_code: Option<String>,
}

impl fmt::Debug for Payer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payer")
            .field("email", &self.email.as_deref().map(mask))
            .field("phone", &self.phone.as_deref().map(mask))
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("country_code", &self.country_code)
            .finish()
    }
}

/// Keeps the first two and last two characters: `25******78`.
pub(crate) fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars.iter().take(2).collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.extend(chars.iter().skip(chars.len() - 2));
    out
}

/// What to charge, for which order, and where to send the customer back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The merchant reference: unique per payment attempt (Pesapal `id` ≤ 50 characters,
    /// AzamPay `externalId` ≤ 128).
    pub merchant_reference: String,
    /// Exact amount and currency.
    pub amount: Money,
    /// Shown to the customer (Pesapal keeps at most 100 characters; longer text is cut).
    pub description: String,
    /// Who pays.
    pub payer: Payer,
    /// Pesapal: where the browser returns after paying (required for Pesapal).
    pub callback_url: Option<String>,
    /// Pesapal: where the browser goes when the customer cancels.
    pub cancellation_url: Option<String>,
    /// AzamPay: the operator of `payer.phone` (required for AzamPay).
    pub provider: Option<MobileProvider>,
}

/// What the customer has to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Send the browser to the gateway's hosted payment page (Pesapal).
    Redirect {
        /// The page.
        url: String,
    },
    /// A USSD push was sent; the customer approves on the phone (AzamPay).
    ApproveOnPhone {
        /// The gateway's message.
        message: String,
    },
}

/// The gateway accepted the checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutResponse {
    /// The gateway's reference: Pesapal `order_tracking_id`, AzamPay `transactionId`.
    pub gateway_reference: String,
    /// Our merchant reference, echoed.
    pub merchant_reference: String,
    /// Redirect or "approve on your phone".
    pub next_step: NextStep,
}

impl CheckoutResponse {
    /// The hosted payment page, when there is one.
    #[must_use]
    pub fn redirect_url(&self) -> Option<&str> {
        match &self.next_step {
            NextStep::Redirect { url } => Some(url),
            NextStep::ApproveOnPhone { .. } => None,
        }
    }
}

/// Which attempt to ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusQuery {
    /// Our merchant reference.
    pub merchant_reference: String,
    /// The gateway's reference (required for both gateways).
    pub gateway_reference: Option<String>,
    /// AzamPay: the operator (its status query wants it as `bankName`).
    pub provider: Option<MobileProvider>,
}

/// Details of a completed payment, as the gateway reports them.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentDetails {
    /// The amount paid, exact, in the currency the gateway reports. Compare it with the order.
    pub amount: Money,
    /// Payment method (`Visa`, `MpesaKE`, `Airtel`, …).
    pub method: String,
    /// The processor's receipt (Pesapal `confirmation_code`, needed for refunds; AzamPay
    /// operator reference).
    pub confirmation_code: String,
    /// Masked payer account (`476173**0010`, `25******78`).
    pub payer_account: String,
}

impl fmt::Debug for PaymentDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentDetails")
            .field("amount", &self.amount)
            .field("method", &self.method)
            .field("confirmation_code", &self.confirmation_code)
            .field("payer_account", &mask(&self.payer_account))
            .finish()
    }
}

/// The state of a payment attempt at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayStatus {
    /// Not paid yet (including Pesapal's "pending looks like an error" answer).
    Pending,
    /// Paid.
    Completed(PaymentDetails),
    /// Failed or cancelled; final for this attempt.
    Failed {
        /// The gateway's reason, for people.
        reason: String,
    },
    /// Was paid, then reversed.
    Reversed {
        /// The gateway's reason, for people.
        reason: String,
    },
}

impl GatewayStatus {
    /// Whether the attempt can no longer change (anything but pending; a completed payment may
    /// still be reversed later).
    #[must_use]
    pub fn is_final(&self) -> bool {
        !matches!(self, GatewayStatus::Pending)
    }
}

/// The answer of a status query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The gateway's reference.
    pub gateway_reference: String,
    /// The merchant reference the gateway has on record (compare it with yours).
    pub merchant_reference: Option<String>,
    /// The status.
    pub status: GatewayStatus,
}

/// HTTP method of an incoming notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationMethod {
    /// `GET` (Pesapal IPN registered as GET; parameters in the query string).
    Get,
    /// `POST` (Pesapal IPN as JSON or form, AzamPay callbacks).
    Post,
}

/// An incoming notification exactly as received, for [`PaymentGateway::verify_notification`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingNotification {
    /// Request method.
    pub method: NotificationMethod,
    /// Raw query string without `?` (may be empty).
    pub query: String,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Raw body (empty for GET).
    pub body: Vec<u8>,
    /// AzamPay: the token taken from the callback URL path.
    pub path_token: Option<String>,
}

/// A parsed (and, where the gateway allows, verified) notification.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one notification per request; a plain variant keeps matching simple for callers"
)]
pub enum Notification {
    /// A Pesapal IPN: identifiers only; ask [`PaymentGateway::query_status`] for the truth.
    Pesapal(PesapalIpn),
    /// An AzamPay callback; [`AzamPayCallback::authenticity`] says how it was verified.
    AzamPay(AzamPayCallback),
}

impl Notification {
    /// Which gateway sent it.
    #[must_use]
    pub fn gateway(&self) -> Gateway {
        match self {
            Notification::Pesapal(_) => Gateway::Pesapal,
            Notification::AzamPay(_) => Gateway::AzamPay,
        }
    }

    /// Our merchant reference (Pesapal `OrderMerchantReference`, AzamPay `utilityref`).
    #[must_use]
    pub fn merchant_reference(&self) -> &str {
        match self {
            Notification::Pesapal(n) => &n.merchant_reference,
            Notification::AzamPay(n) => &n.utility_ref,
        }
    }

    /// The gateway's reference (Pesapal tracking id, AzamPay `reference`/`transid`).
    #[must_use]
    pub fn gateway_reference(&self) -> Option<&str> {
        match self {
            Notification::Pesapal(n) => Some(&n.order_tracking_id),
            Notification::AzamPay(n) => n.gateway_reference(),
        }
    }

    /// The status the notification itself claims (AzamPay only; a Pesapal IPN carries none).
    #[must_use]
    pub fn reported_status(&self) -> Option<GatewayStatus> {
        match self {
            Notification::Pesapal(_) => None,
            Notification::AzamPay(n) => Some(n.status()),
        }
    }

    /// Whether the caller must confirm with a status query before acting (always for Pesapal).
    #[must_use]
    pub fn needs_status_query(&self) -> bool {
        matches!(self, Notification::Pesapal(_))
    }

    /// A key that is equal for repeated deliveries of the same event, for a unique
    /// `(gateway, event key)` constraint.
    #[must_use]
    pub fn event_key(&self) -> String {
        match self {
            Notification::Pesapal(n) => {
                format!("{}:{}", n.order_tracking_id, n.notification_type.as_str())
            }
            Notification::AzamPay(n) => format!(
                "{}:{}:{}",
                n.utility_ref,
                n.gateway_reference().unwrap_or(""),
                n.transaction_status.as_str()
            ),
        }
    }
}

/// One payment gateway: start a checkout, query a status, verify a notification.
///
/// Object safe, so an application can hold `Arc<dyn PaymentGateway>` per gateway:
///
/// ```
/// use std::sync::Arc;
/// use wetech_payments::{Gateway, PaymentGateway, PesapalClient, PesapalConfig};
///
/// let config = PesapalConfig::new("https://cybqa.pesapal.com/pesapalv3", "key", "secret");
/// let gateway: Arc<dyn PaymentGateway> = Arc::new(PesapalClient::new(config)?);
/// assert_eq!(gateway.gateway(), Gateway::Pesapal);
/// # Ok::<(), wetech_payments::GatewayError>(())
/// ```
pub trait PaymentGateway: Send + Sync {
    /// Which gateway this is.
    fn gateway(&self) -> Gateway;

    /// Starts a payment. Sent once; re-sent only when the connection could not be opened. A
    /// [`GatewayError::Timeout`] with `may_have_reached: true` means the outcome is unknown.
    fn start_checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> GatewayFuture<'a, CheckoutResponse>;

    /// Asks the gateway for the attempt's status (retried with backoff on transient failures).
    fn query_status<'a>(&'a self, query: &'a StatusQuery) -> GatewayFuture<'a, StatusReport>;

    /// Parses a notification and checks what can be checked (AzamPay: path token and
    /// signature). Never trust it further than [`Notification::needs_status_query`] says.
    fn verify_notification<'a>(
        &'a self,
        notification: &'a IncomingNotification,
    ) -> GatewayFuture<'a, Notification>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gateway_takes_tzs_and_only_currencies_of_the_table() {
        for g in Gateway::ALL {
            assert!(g.takes(Currency::TZS), "{g}");
            for c in g.currencies() {
                assert_eq!(Currency::parse(c.code()), Ok(*c), "{g} {c}");
            }
        }
    }
}
