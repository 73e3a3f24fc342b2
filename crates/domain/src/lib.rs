//! wetech-domain: the value types and rules of the lead-to-payment service. No I/O.
//!
//! Every value that crosses the HTTP edge is parsed into one of these types once; past that edge
//! nothing handles raw strings. Each type has private fields, is built only through `parse`,
//! `TryFrom`/`FromStr` or a named constructor, shows itself with `as_str()`/`Display`, serialises
//! as its string (money as `{"amount": "500000.00", "currency": "TZS"}`) and deserialises through
//! its parser, so invalid JSON values are refused. Each has its own small error type.
//!
//! | type | what |
//! |---|---|
//! | [`EmailAddress`] | a client's e-mail address; [`EmailAddress::normalized`] is the client key |
//! | [`PhoneNumber`] | an East-African mobile number in E.164 form ([`Country`]) |
//! | [`MaskedEmail`], [`MaskedPhone`] | how an address and a number show in logs |
//! | [`PersonName`], [`CompanyName`], [`LeadMessage`] | free text with limits |
//! | [`ServiceCode`] | a catalogue code such as `WEB-BASIC` |
//! | [`Currency`], [`Money`] | exact amounts in integer minor units |
//! | [`InvoiceNumber`] | `INV-YYYY-NNNNNN` |
//! | [`PublicId`] | the unguessable id in customer-facing URLs |
//! | [`MerchantReference`] | the reference of one payment attempt at a gateway |
//! | [`Gateway`] | which payment gateway an attempt goes through |
//! | [`IdempotencyKey`] | the client's key that makes a retried request safe |
//! | [`InvoiceStatus`], [`AttemptStatus`] | the state machines ([`status`]) |
//! | [`StaffRole`] | what a back-office account may do |
//! | [`LeadSalesStatus`] | where the sales team stands with a lead |

#![deny(missing_docs)]

mod text;

mod company_name;
mod currency;
mod email;
mod gateway;
mod idempotency_key;
mod invoice_number;
mod lead_message;
mod lead_status;
mod mask;
mod merchant_reference;
mod money;
mod person_name;
mod phone;
mod public_id;
mod service_code;
mod staff_role;
pub mod status;

pub use company_name::{CompanyName, CompanyNameError, MAX_COMPANY_NAME_CHARS};
pub use currency::{Currency, CurrencyError};
pub use email::{EmailAddress, EmailAddressError, MAX_EMAIL_LEN};
pub use gateway::{Gateway, UnknownGateway};
pub use idempotency_key::{IdempotencyKey, IdempotencyKeyError, MAX_IDEMPOTENCY_KEY_LEN};
pub use invoice_number::{InvoiceNumber, InvoiceNumberError};
pub use lead_message::{LeadMessage, LeadMessageError, MAX_LEAD_MESSAGE_CHARS};
pub use lead_status::LeadSalesStatus;
pub use mask::{MaskedEmail, MaskedPhone};
pub use merchant_reference::{
    MAX_MERCHANT_REFERENCE_LEN, MerchantReference, MerchantReferenceError,
};
pub use money::{Money, MoneyError};
pub use person_name::{MAX_PERSON_NAME_CHARS, PersonName, PersonNameError};
pub use phone::{Country, PhoneNumber, PhoneNumberError};
pub use public_id::{PUBLIC_ID_LEN, PublicId, PublicIdError};
pub use service_code::{ServiceCode, ServiceCodeError};
pub use staff_role::{StaffRole, UnknownStaffRole};
pub use status::{
    AttemptEvent, AttemptStatus, IllegalTransition, InvoiceEvent, InvoiceStatus, ReviewDecision,
    UnknownStatus,
};
