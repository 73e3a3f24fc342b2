//! [`render_pdf`]: one A4 page of text with the company's header, the receipt's facts and a
//! thank-you line, in the receipt's language. The text is real text (an embedded, subsetted
//! TrueType font with a Unicode map), so it can be searched, copied and extracted.

use std::sync::{Arc, LazyLock};

use krilla::Document;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use wetech_i18n::Language;

use crate::{CompanySettings, Receipt};

/// DejaVu Sans, cut down to Latin, Latin Extended A/B and Additional, punctuation and currency
/// signs (fonts/README.md says how): every character of Swahili, English and the names of East
/// African clients that Latin script writes.
static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.subset.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.subset.ttf");

/// The two faces, parsed once.
static FONTS: LazyLock<Option<(Font, Font)>> = LazyLock::new(|| {
    let load = |bytes: &'static [u8]| {
        let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(bytes);
        Font::new(data.into(), 0)
    };
    Some((load(REGULAR)?, load(BOLD)?))
});

/// Why no receipt could be made.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The embedded font could not be read (a broken build).
    #[error("the receipt's embedded font cannot be read")]
    Font,
    /// The PDF writer refused the document.
    #[error("the receipt PDF could not be written: {0}")]
    Pdf(String),
}

/// A4 in points.
const PAGE: (f32, f32) = (595.0, 842.0);
const LEFT: f32 = 56.0;
const VALUE_X: f32 = 232.0;

/// The receipt as PDF bytes, its words in `language`.
///
/// # Errors
/// [`ReceiptError`] when the embedded font or the PDF writer fails (neither depends on the
/// receipt's content).
pub fn render_pdf(
    company: &CompanySettings,
    receipt: &Receipt,
    language: Language,
) -> Result<Vec<u8>, ReceiptError> {
    let (regular, bold) = FONTS.as_ref().ok_or(ReceiptError::Font)?.clone();
    let t = language;
    let mut document = Document::new();
    let title = t.text("receipt-title");
    document.set_metadata(
        Metadata::new()
            .title(format!("{title} {}", receipt.invoice_number))
            .language(t.code().to_owned())
            .creator(company.name.clone()),
    );
    let settings = PageSettings::from_wh(PAGE.0, PAGE.1).ok_or(ReceiptError::Font)?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut text = |x: f32, y: f32, font: &Font, size: f32, s: &str| {
        surface.draw_text(
            Point::from_xy(x, y),
            font.clone(),
            size,
            s,
            false,
            TextDirection::Auto,
        );
    };

    let mut y = 80.0;
    text(LEFT, y, &bold, 22.0, &company.name);
    y += 20.0;
    let tin = company
        .tin
        .as_ref()
        .map(|tin| format!("{}: {tin}", t.text("receipt-tin")));
    for line in [
        company.address.as_ref(),
        tin.as_ref(),
        company.email.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        text(LEFT, y, &regular, 10.0, line);
        y += 14.0;
    }

    y += 36.0;
    text(LEFT, y, &bold, 16.0, &title);
    y += 34.0;
    let amount = wetech_i18n::format_amount(t, &receipt.currency, &receipt.amount);
    let paid_on = wetech_i18n::format_datetime(t, &receipt.paid_at);
    let rows = [
        ("receipt-invoice", receipt.invoice_number.as_str()),
        ("receipt-client", receipt.client_name.as_str()),
        ("receipt-service", receipt.service.as_str()),
        ("receipt-amount", amount.as_str()),
        ("receipt-paid-on", paid_on.as_str()),
        ("receipt-gateway", receipt.gateway.as_str()),
        ("receipt-confirmation", receipt.confirmation_code.as_str()),
    ];
    for (label, value) in rows {
        text(LEFT, y, &bold, 11.0, &t.text(label));
        text(VALUE_X, y, &regular, 11.0, value);
        y += 22.0;
    }
    if receipt.refunded {
        y += 10.0;
        text(LEFT, y, &bold, 11.0, &t.text("receipt-refunded"));
    }
    y += 34.0;
    text(LEFT, y, &regular, 12.0, &t.text("receipt-thanks"));

    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| ReceiptError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            invoice_number: "INV-2026-000042".to_owned(),
            client_name: "Zawadi Ñandú-Mushi".to_owned(),
            service: "Business website".to_owned(),
            currency: "TZS".to_owned(),
            amount: "500000.00".to_owned(),
            paid_at: chrono::DateTime::parse_from_rfc3339("2026-03-03T14:05:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
            gateway: "Pesapal".to_owned(),
            confirmation_code: "PSP-7Q2X9".to_owned(),
            refunded: false,
        }
    }

    #[test]
    fn a_receipt_is_a_small_pdf_with_its_font_subset_embedded() {
        let company = CompanySettings {
            tin: Some("123-456-789".to_owned()),
            ..CompanySettings::default()
        };
        for language in Language::ALL {
            let bytes = render_pdf(&company, &receipt(), language).unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "a PDF");
            assert!(
                bytes.len() < 60_000,
                "the font is subset: {} bytes",
                bytes.len()
            );
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.contains("/FontFile2"), "a TrueType font is embedded");
            assert!(
                text.contains("/ToUnicode"),
                "with a Unicode map, so text extracts"
            );
        }
    }
}
