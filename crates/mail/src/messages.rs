//! What each message says: its subject here, its text and HTML parts in
//! `crates/mail/templates/{kind}.txt` and `.html` (askama; the HTML escapes every value, and
//! neither part loads anything remote). A customer's messages (the invoice of a new lead, the
//! receipt) take their words — subject and both parts — from the Fluent catalogue
//! (`crates/i18n/locales/{en,sw}/mail.ftl`) in the row's language, the one the lead was
//! submitted in; the staff's messages are English.

use askama::Template;
use wetech_i18n::{FluentValue, Language};
use wetech_persistence::outbox::Facts;

use crate::headers::one_line;
use wetech_receipt::CompanySettings;

/// A message's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, at most [`crate::headers::MAX_SUBJECT_CHARS`] characters.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// Whether it is an alert to the staff (`Auto-Submitted: auto-generated`).
    pub auto_submitted: bool,
}

/// A template could not be rendered (a bug of a template, never of the data).
#[derive(Debug, thiserror::Error)]
#[error("cannot render the message")]
pub struct RenderError(#[source] askama::Error);

/// What every message knows besides its facts.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The site's base URL without a trailing slash (links are made absolute with it).
    pub public_url: &'a str,
    /// The sender's letterhead.
    pub company: &'a CompanySettings,
    /// The row's language (`en`, `sw`).
    pub language: &'a str,
}

/// One message's two templates: the HTML one shares the layout's fields, both end with the
/// company's name and carry the message's link.
macro_rules! message {
    ($html:ident = $html_path:literal, $text:ident = $text_path:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            lang: &'a str,
            subject: &'a str,
            company: &'a str,
            company_address: Option<&'a str>,
            company_email: Option<&'a str>,
            link: String,
            $($field: $ty,)*
        }

        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            company: &'a str,
            link: String,
            $($field: $ty,)*
        }
    };
}

message!(NewLeadStaffHtml = "new-lead-staff.html", NewLeadStaffText = "new-lead-staff.txt", {
    name: &'a str, email: &'a str, phone: &'a str, client_company: Option<&'a str>,
    service: &'a str, message: Option<&'a str>, invoice_number: &'a str, amount: &'a str,
});
message!(NewLeadCustomerHtml = "new-lead-customer.html", NewLeadCustomerText = "new-lead-customer.txt", {
    t: Language, greeting: &'a str, intro: &'a str, link_label: &'a str,
});
message!(ReceiptHtml = "receipt-customer.html", ReceiptText = "receipt-customer.txt", {
    t: Language, greeting: &'a str, service: &'a str, invoice_number: &'a str, amount: &'a str,
    paid_at: &'a str, gateway: &'a str, confirmation_code: Option<&'a str>, link_label: &'a str,
});

/// The message `key` of the catalogue in `t` with its plain-text arguments.
fn words(t: Language, key: &str, args: &[(&'static str, &str)]) -> String {
    let args: Vec<(&'static str, FluentValue<'static>)> = args
        .iter()
        .map(|(name, value)| (*name, FluentValue::from((*value).to_owned())))
        .collect();
    t.text_with(key, &args)
}
message!(PaidStaffHtml = "paid-staff.html", PaidStaffText = "paid-staff.txt", {
    name: &'a str, invoice_number: &'a str, amount: &'a str, gateway: &'a str,
    confirmation_code: Option<&'a str>,
});
message!(ReviewHtml = "review-staff.html", ReviewText = "review-staff.txt", {
    invoice_number: &'a str, gateway: &'a str, merchant_reference: &'a str, reason: &'a str,
    paid_twice: bool,
});
message!(UndeliveredHtml = "undelivered-staff.html", UndeliveredText = "undelivered-staff.txt", {
    message_id: i64, failed_kind: &'a str, to: &'a str, error: &'a str,
});

/// Renders both parts of `facts`.
///
/// # Errors
/// A template failed to render.
pub fn render(facts: &Facts, cx: &Context<'_>) -> Result<Rendered, RenderError> {
    let company = cx.company.name.as_str();
    let link = |path: &str| format!("{}{path}", cx.public_url);
    // Customer messages only; an unknown code (never written) reads as English.
    let t = Language::from_code(cx.language).unwrap_or_default();
    // Fills the fields every template has, then renders both parts.
    macro_rules! both {
        ($subject:expr, $auto:expr, $link:expr, $html:ident, $text:ident { $($fields:tt)* }) => {{
            let subject = one_line(&$subject);
            let html = $html {
                lang: cx.language, subject: &subject, company,
                company_address: cx.company.address.as_deref(),
                company_email: cx.company.email.as_deref(),
                link: $link, $($fields)*
            }.render().map_err(RenderError)?;
            let text = $text {
                company, link: $link, $($fields)*
            }.render().map_err(RenderError)?;
            Ok(Rendered { subject, text, html, auto_submitted: $auto })
        }};
    }
    match facts {
        Facts::NewLeadStaff {
            lead_id: _,
            name,
            email,
            phone,
            company: client_company,
            service,
            message,
            invoice_number,
            amount,
            admin_url,
        } => both!(
            format!("New lead: {name}, {service}"),
            true,
            link(admin_url),
            NewLeadStaffHtml,
            NewLeadStaffText {
                name,
                email,
                phone,
                client_company: client_company.as_deref(),
                service,
                message: message.as_deref(),
                invoice_number,
                amount,
            }
        ),
        Facts::NewLeadCustomer {
            name,
            service,
            invoice_number,
            amount,
            invoice_url,
        } => {
            let number = ("number", invoice_number.as_str());
            both!(
                words(t, "mail-invoice-subject", &[number, ("company", company)]),
                false,
                link(invoice_url),
                NewLeadCustomerHtml,
                NewLeadCustomerText {
                    t,
                    greeting: &words(t, "mail-greeting", &[("name", name)]),
                    intro: &words(
                        t,
                        "mail-invoice-intro",
                        &[("service", service), number, ("amount", amount)]
                    ),
                    link_label: &words(t, "mail-invoice-link", &[number]),
                }
            )
        }
        Facts::ReceiptCustomer {
            name,
            service,
            invoice_number,
            amount,
            paid_at,
            gateway,
            confirmation_code,
            invoice_url,
        } => {
            let number = ("number", invoice_number.as_str());
            both!(
                words(t, "mail-receipt-subject", &[number]),
                false,
                link(invoice_url),
                ReceiptHtml,
                ReceiptText {
                    t,
                    greeting: &words(t, "mail-greeting", &[("name", name)]),
                    service,
                    invoice_number,
                    amount,
                    paid_at,
                    gateway,
                    confirmation_code: confirmation_code.as_deref(),
                    link_label: &words(t, "mail-receipt-link", &[number]),
                }
            )
        }
        Facts::PaidStaff {
            name,
            invoice_number,
            amount,
            gateway,
            confirmation_code,
            admin_url,
        } => both!(
            format!("Paid: {invoice_number}, {amount}"),
            true,
            link(admin_url),
            PaidStaffHtml,
            PaidStaffText {
                name,
                invoice_number,
                amount,
                gateway,
                confirmation_code: confirmation_code.as_deref(),
            }
        ),
        Facts::ReviewStaff {
            attempt_id: _,
            invoice_number,
            gateway,
            merchant_reference,
            reason,
            paid_twice,
            admin_url,
        } => both!(
            if *paid_twice {
                format!("Paid twice, refund due: {invoice_number}")
            } else {
                format!("Payment under review: {invoice_number}")
            },
            true,
            link(admin_url),
            ReviewHtml,
            ReviewText {
                invoice_number,
                gateway,
                merchant_reference,
                reason,
                paid_twice: *paid_twice
            }
        ),
        Facts::UndeliveredStaff {
            message_id,
            failed_kind,
            to,
            error,
        } => both!(
            format!("Undelivered e-mail to a customer ({failed_kind})"),
            true,
            link("/admin/"),
            UndeliveredHtml,
            UndeliveredText {
                message_id: *message_id,
                failed_kind,
                to,
                error
            }
        ),
    }
}
