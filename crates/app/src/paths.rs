//! The site's URL paths that more than one crate names: the web routes serve them, the use cases
//! put them into gateway requests and customer links, `ops pesapal register-ipn` registers one.
//! Each pattern is written once here (the `{…}` segments in actix-web's pattern syntax) with the
//! builder of its concrete path beside it. docs/interface.md lists these URLs.

use wetech_domain::PublicId;

/// Pesapal's IPN (`GET` and `POST`).
pub const PESAPAL_IPN: &str = "/payments/pesapal/ipn";

/// Where Pesapal sends the customer's browser back after paying.
pub const PESAPAL_RETURN: &str = "/payments/pesapal/return";

/// The AzamPay callback without its token (refused: the token is required).
pub const AZAMPAY_CALLBACK_BASE: &str = "/payments/azampay/callback";

/// The AzamPay callback route; the token segment must equal the configured callback token.
pub const AZAMPAY_CALLBACK: &str = "/payments/azampay/callback/{token}";

/// The customer's invoice page.
pub const INVOICE_PAGE: &str = "/invoices/{id}";

/// The invoice page's pay form target.
pub const INVOICE_PAY: &str = "/invoices/{id}/pay";

/// The invoice's receipt (a PDF, once paid).
pub const INVOICE_RECEIPT: &str = "/invoices/{id}/receipt.pdf";

/// `/invoices/{id}` for this invoice.
#[must_use]
pub fn invoice_page(id: &PublicId) -> String {
    INVOICE_PAGE.replace("{id}", id.as_str())
}

/// The query parameter (`?cancelled=1`) of the invoice page that Pesapal's cancellation URL
/// carries: the customer left Pesapal's page without paying.
pub const CANCELLED_PARAM: &str = "cancelled";

/// `/invoices/{id}/pay` for this invoice.
#[must_use]
pub fn invoice_pay(id: &PublicId) -> String {
    INVOICE_PAY.replace("{id}", id.as_str())
}

/// `/invoices/{id}/receipt.pdf` for this invoice.
#[must_use]
pub fn invoice_receipt(id: &PublicId) -> String {
    INVOICE_RECEIPT.replace("{id}", id.as_str())
}

/// `/payments/azampay/callback/{token}` with this token.
#[must_use]
pub fn azampay_callback(token: &str) -> String {
    AZAMPAY_CALLBACK.replace("{token}", token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_their_patterns() {
        let id = PublicId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(invoice_page(&id), "/invoices/AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(invoice_pay(&id), "/invoices/AAAAAAAAAAAAAAAAAAAAAA/pay");
        assert_eq!(
            invoice_receipt(&id),
            "/invoices/AAAAAAAAAAAAAAAAAAAAAA/receipt.pdf"
        );
        assert_eq!(azampay_callback("t0k"), "/payments/azampay/callback/t0k");
        assert!(AZAMPAY_CALLBACK.starts_with(AZAMPAY_CALLBACK_BASE));
        assert!(INVOICE_PAY.starts_with(INVOICE_PAGE));
    }
}
