//! The customer's e-mails through the real server and a real SMTP server (`wetech-test-smtp`),
//! on SQLite and PostgreSQL: a lead submitted in Swahili gets its invoice and its receipt in
//! Swahili (subject, text and HTML; amounts `TSh …`, Swahili dates), one in English gets
//! English, the staff always English; the receipt carries as `application/pdf` the very bytes
//! of `GET /invoices/{id}/receipt.pdf` in the client's language; hostile names stay text.

use std::time::Duration;

use wetech_i18n::Language;
use wetech_persistence::Backend;
use wetech_test_smtp::{Received, Security, SmtpSink};

use crate::helpers::TestApp;
use crate::receipt::{COMPANY, HOSTILE_NAME, get_in, lead_in, pay, pdf_text, server};

/// The message to `to` whose subject starts with `subject`.
fn find<'a>(received: &'a [Received], to: &str, subject: &str) -> &'a Received {
    received
        .iter()
        .find(|m| {
            m.to.iter().any(|t| t == to)
                && m.header("Subject").is_some_and(|s| s.starts_with(subject))
        })
        .unwrap_or_else(|| {
            let all: Vec<_> = received.iter().map(|m| m.header("Subject")).collect();
            panic!("no {subject:?} to {to}: {all:?}")
        })
}

/// Both parts of `m`.
fn parts(m: &Received) -> (String, String) {
    (m.part("text/plain").unwrap(), m.part("text/html").unwrap())
}

struct Client {
    language: Language,
    email: &'static str,
    name: &'static str,
    invoice_subject: &'static str,
    invoice_words: [&'static str; 3],
    receipt_subject: &'static str,
    receipt_words: [&'static str; 3],
    amount: &'static str,
}

const CLIENTS: [Client; 2] = [
    Client {
        language: Language::Sw,
        email: "zawadi@example.com",
        name: HOSTILE_NAME,
        invoice_subject: "Ankara yako INV-",
        invoice_words: ["Mpendwa", "iko tayari", "Tazama na ulipe ankara"],
        receipt_subject: "Stakabadhi ya ankara INV-",
        receipt_words: [
            "Tumepokea malipo yako",
            "Kiasi kilicholipwa",
            "imeambatishwa",
        ],
        amount: "TSh 500,000.00",
    },
    Client {
        language: Language::En,
        email: "juma@example.com",
        name: "Juma Said",
        invoice_subject: "Your invoice INV-",
        invoice_words: ["Dear Juma Said", "is ready", "View and pay invoice"],
        receipt_subject: "Receipt for invoice INV-",
        receipt_words: ["We have received your payment", "Amount paid", "attached"],
        amount: "TZS 500,000.00",
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_their_invoice_and_receipt_in_their_language_with_the_pages_pdf() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let sink = SmtpSink::start(Security::Plain).await;
        let (host, port) = (sink.host(), sink.port());
        let Some(app) = server(backend, |s| {
            s.mail.transport = Some(wetech_mail::TransportKind::Smtp);
            s.mail.smtp.host = host;
            s.mail.smtp.port = Some(port);
            s.mail.smtp.tls = wetech_mail::TlsMode::None;
            s.mail.smtp.timeout_secs = 5;
            s.mail.lease_secs = 600;
        })
        .await
        else {
            continue;
        };
        check_customers(&app, &sink).await;
    }
}

async fn check_customers(app: &TestApp, sink: &SmtpSink) {
    let mut paid = Vec::new();
    for client in &CLIENTS {
        let id = lead_in(app, client.email, client.name, client.language.code()).await;
        let code = pay(app, &id).await;
        paid.push((id, code));
    }
    // Per client: the staff's new-lead note, the invoice, the receipt, the staff's paid note.
    let received = sink.wait_for(8, Duration::from_secs(30)).await;
    assert_eq!(received.len(), 8, "{received:?}");
    let today = chrono::Utc::now();
    for (client, (id, code)) in CLIENTS.iter().zip(&paid) {
        let number = app.invoice(id).await["number"].as_str().unwrap().to_owned();
        let lang = client.language.code();

        let invoice = find(&received, client.email, client.invoice_subject);
        assert!(
            invoice.header("Subject").unwrap().contains(COMPANY),
            "{:?}",
            invoice.header("Subject")
        );
        let (text, html) = parts(invoice);
        for part in [&text, &html] {
            for words in client
                .invoice_words
                .iter()
                .chain([&client.amount, &number.as_str()])
            {
                assert!(part.contains(words), "{lang}: {words:?} missing: {part}");
            }
        }
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");

        let receipt = find(&received, client.email, client.receipt_subject);
        let (text, html) = parts(receipt);
        let date = wetech_i18n::format_date(client.language, &today);
        for part in [&text, &html] {
            for words in client.receipt_words.iter().chain([
                &client.amount,
                &number.as_str(),
                &code.as_str(),
                &date.as_str(),
            ]) {
                assert!(part.contains(words), "{lang}: {words:?} missing: {part}");
            }
        }
        // Hostile text is text: escaped in the HTML part, as typed in the plain one.
        if client.name == HOSTILE_NAME {
            assert!(!html.contains("<b>Bold</b>"), "{html}");
            assert!(html.contains("&#60;b&#62;Bold&#60;/b&#62;"), "{html}");
            assert!(text.contains(HOSTILE_NAME), "{text}");
        }

        // The attachment: the page's PDF in the client's language, byte for byte.
        assert!(
            receipt
                .data
                .contains(&format!("filename=\"receipt-{number}.pdf\"")),
            "{}",
            receipt.data
        );
        let attached = receipt
            .part_bytes("application/pdf")
            .expect("a PDF attached");
        let page = get_in(app, &format!("/invoices/{id}/receipt.pdf"), lang)
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(attached, page.to_vec(), "the same bytes as the page");
        let extracted = pdf_text(&attached);
        for fact in [
            COMPANY,
            number.as_str(),
            client.amount,
            code.as_str(),
            client.name,
        ] {
            assert!(extracted.contains(fact), "{fact:?} missing:\n{extracted}");
        }
    }
    // The staff's messages stay English whatever the client's language.
    let staff: Vec<_> = received
        .iter()
        .filter(|m| m.header("Auto-Submitted").is_some())
        .collect();
    assert_eq!(staff.len(), 4);
    for m in staff {
        let subject = m.header("Subject").unwrap();
        assert!(
            subject.starts_with("New lead: ") || subject.starts_with("Paid: INV-"),
            "{subject}"
        );
        assert!(m.part_bytes("application/pdf").is_none(), "{subject}");
        assert!(!m.part("text/plain").unwrap().contains("TSh"), "{subject}");
    }
}
