//! The values a caller builds for Pesapal calls and gets back from them.

use std::fmt;

use super::config::IpnNotificationType;
use crate::money::Money;

/// A registered IPN URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpnRegistration {
    /// The id to pass as `notification_id`.
    pub ipn_id: String,
    /// The registered URL.
    pub url: String,
    /// When it was registered (as sent by Pesapal).
    pub created_date: Option<String>,
    /// GET or POST, when the answer says.
    pub notification_type: Option<IpnNotificationType>,
    /// `ipn_status == 1`, when the answer says.
    pub active: Option<bool>,
}

/// `redirect_mode`: where the callback page loads when Pesapal runs in an iframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectMode {
    /// `TOP_WINDOW` (Pesapal's default).
    TopWindow,
    /// `PARENT_WINDOW`.
    ParentWindow,
}

/// `billing_address`: at least one of e-mail and phone is required.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BillingAddress {
    /// `email_address`.
    pub email_address: Option<String>,
    /// `phone_number`.
    pub phone_number: Option<String>,
    /// `country_code` (ISO 3166 alpha-2).
    pub country_code: Option<String>,
    /// `first_name`.
    pub first_name: Option<String>,
    /// `middle_name`.
    pub middle_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `line_1`.
    pub line_1: Option<String>,
    /// `line_2`.
    pub line_2: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `postal_code`.
    pub postal_code: Option<String>,
    /// `zip_code`.
    pub zip_code: Option<String>,
}

impl fmt::Debug for BillingAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingAddress")
            .field(
                "email_address",
                &self.email_address.as_deref().map(crate::gateway::mask),
            )
            .field(
                "phone_number",
                &self.phone_number.as_deref().map(crate::gateway::mask),
            )
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// How often a subscription charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// `DAILY`.
    Daily,
    /// `WEEKLY`.
    Weekly,
    /// `MONTHLY`.
    Monthly,
    /// `YEARLY`.
    Yearly,
}

impl Frequency {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// `subscription_details` of a recurring order. Dates are sent as given; one library
/// validates `dd-mm-yyyy` (UNCONFIRMED in Pesapal's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDetails {
    /// `start_date`.
    pub start_date: String,
    /// `end_date`.
    pub end_date: String,
    /// `frequency`.
    pub frequency: Frequency,
}

/// SubmitOrderRequest with every documented field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOrder {
    /// `id`: the merchant reference, unique per order, ≤ 50 characters of `A-Z a-z 0-9 - _ . :`.
    pub id: String,
    /// `currency` and `amount` (sent as a JSON number exact to the minor unit).
    pub amount: Money,
    /// `description` (cut to 100 characters).
    pub description: String,
    /// `redirect_mode`.
    pub redirect_mode: Option<RedirectMode>,
    /// `callback_url`: browser return.
    pub callback_url: String,
    /// `cancellation_url`.
    pub cancellation_url: Option<String>,
    /// `notification_id`; the client's IPN id when `None`.
    pub notification_id: Option<String>,
    /// `branch`.
    pub branch: Option<String>,
    /// `billing_address`.
    pub billing_address: BillingAddress,
    /// `account_number` (enables the recurring option).
    pub account_number: Option<String>,
    /// `subscription_details`.
    pub subscription_details: Option<SubscriptionDetails>,
}

impl SubmitOrder {
    /// An order with the required fields only.
    #[must_use]
    pub fn new(
        id: &str,
        amount: Money,
        description: &str,
        callback_url: &str,
        billing_address: BillingAddress,
    ) -> Self {
        SubmitOrder {
            id: id.to_owned(),
            amount,
            description: description.to_owned(),
            redirect_mode: None,
            callback_url: callback_url.to_owned(),
            cancellation_url: None,
            notification_id: None,
            branch: None,
            billing_address,
            account_number: None,
            subscription_details: None,
        }
    }
}

/// Pesapal accepted the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedOrder {
    /// `order_tracking_id`.
    pub order_tracking_id: String,
    /// `merchant_reference` (echo of `id`).
    pub merchant_reference: String,
    /// `redirect_url`: the hosted payment page.
    pub redirect_url: String,
}

/// RefundRequest. 200 only means "queued for approval", not refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// `confirmation_code` from the completed status.
    pub confirmation_code: String,
    /// `amount` (mobile money: full amount only).
    pub amount: Money,
    /// `username`: who asked for it.
    pub username: String,
    /// `remarks`: why.
    pub remarks: String,
}
