//! The sender against a real SMTP server (crate `wetech-test-smtp`) on SQLite and PostgreSQL:
//! every kind of message arrives once, over STARTTLS or implicit TLS, with its recipients and
//! both parts; a server that is down, refuses or crashes our record does not lose or multiply
//! messages; two senders on one database never send a message twice; hostile text stays text.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use tokio::sync::watch;
use wetech_mail::{MailSettings, Sender, SmtpSettings, TlsMode, Transport, TransportKind};
use wetech_persistence::now_utc;
use wetech_persistence::outbox::{self, Facts, NewMessage, RecipientRole};
use wetech_test_db::TestDb;
use wetech_test_smtp::{Received, Security, SmtpSink};

const STAFF: &str = "office@example.com, sales@example.com";
const CUSTOMER: &str = "amina@example.com";

struct Setup {
    settings: MailSettings,
    _ca: tempfile::NamedTempFile,
}

fn smtp_settings(sink: &SmtpSink, tls: TlsMode) -> Setup {
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), sink.ca_pem()).unwrap();
    let settings = MailSettings {
        transport: Some(TransportKind::Smtp),
        from: "wetech <no-reply@wetech.example>".into(),
        staff_to: STAFF.into(),
        smtp: SmtpSettings {
            host: sink.host(),
            port: Some(sink.port()),
            username: Some("mailer".into()),
            password: Some("s3cret-password".to_owned().into()),
            tls,
            ca_file: Some(ca.path().to_path_buf()),
            timeout_secs: 2,
        },
        retry_base_secs: 1,
        retry_max_secs: 1,
        give_up_after_secs: 30,
        permanent_attempts: 2,
        batch_size: 5,
        poll_ms: 50,
        lease_secs: 60,
        ..MailSettings::default()
    };
    settings.validate(false).unwrap();
    Setup { settings, _ca: ca }
}

fn sender(db: &TestDb, settings: &MailSettings) -> Sender {
    let transport = Transport::from_settings(settings, false).unwrap();
    Sender::new(
        db.unit_of_work(),
        transport,
        settings,
        &wetech_receipt::CompanySettings::default(),
        "https://shop.example/",
    )
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn new_lead_staff(name: &str, message: Option<&str>) -> Facts {
    Facts::NewLeadStaff {
        lead_id: 42,
        name: name.into(),
        email: CUSTOMER.into(),
        phone: "+255754123456".into(),
        company: None,
        service: "Business website".into(),
        message: message.map(str::to_owned),
        invoice_number: "INV-2026-000042".into(),
        amount: "TZS 500,000.00".into(),
        admin_url: "/admin/leads/42".into(),
    }
}

fn every_kind() -> Vec<(String, RecipientRole, Facts)> {
    vec![
        (
            "lead-42.new-lead".into(),
            RecipientRole::Staff,
            new_lead_staff("Amina Juma", Some("Call me")),
        ),
        (
            "lead-42.new-lead".into(),
            RecipientRole::Customer,
            Facts::NewLeadCustomer {
                name: "Amina Juma".into(),
                service: "Business website".into(),
                invoice_number: "INV-2026-000042".into(),
                amount: "TZS 500,000.00".into(),
                invoice_url: "/invoices/abc".into(),
            },
        ),
        (
            "invoice-abc.paid".into(),
            RecipientRole::Customer,
            Facts::ReceiptCustomer {
                name: "Amina Juma".into(),
                service: "Business website".into(),
                invoice_number: "INV-2026-000042".into(),
                amount: "TZS 500,000.00".into(),
                paid_at: "2026-12-03 06:00 UTC".into(),
                gateway: "pesapal".into(),
                confirmation_code: Some("CONF-1".into()),
                invoice_url: "/invoices/abc".into(),
            },
        ),
        (
            "invoice-abc.paid".into(),
            RecipientRole::Staff,
            Facts::PaidStaff {
                name: "Amina Juma".into(),
                invoice_number: "INV-2026-000042".into(),
                amount: "TZS 500,000.00".into(),
                gateway: "pesapal".into(),
                confirmation_code: Some("CONF-1".into()),
                admin_url: "/admin/invoices/abc".into(),
            },
        ),
        (
            "attempt-7.review-9".into(),
            RecipientRole::Staff,
            Facts::ReviewStaff {
                attempt_id: 7,
                invoice_number: "INV-2026-000042".into(),
                gateway: "azampay".into(),
                merchant_reference: "WT-7".into(),
                reason: "payment completed but the invoice is already paid".into(),
                paid_twice: true,
                admin_url: "/admin/invoices/abc".into(),
            },
        ),
    ]
}

fn enqueue(db: &TestDb, event: &str, role: RecipientRole, to: Option<&str>, facts: &Facts) {
    outbox::enqueue(
        &mut db.conn(),
        &NewMessage {
            event_key: event,
            role,
            to_address: match role {
                RecipientRole::Customer => Some(to.unwrap_or(CUSTOMER)),
                RecipientRole::Staff => None,
            },
            language: "en",
            facts,
            attachment: None,
            now: now_utc(),
        },
    )
    .unwrap();
}

/// Runs `senders` until `done` holds on the outbox (or 20 s), then stops them gracefully.
async fn run_until(db: &TestDb, senders: Vec<Sender>, done: impl Fn(&[outbox::OutboxRow]) -> bool) {
    let (stop, stopped) = watch::channel(false);
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|s| tokio::spawn(s.run(stopped.clone())))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if done(&outbox::list_all(&mut db.conn()).unwrap()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .unwrap()
            .unwrap();
    }
}

fn all_sent(rows: &[outbox::OutboxRow]) -> bool {
    rows.iter().all(|r| r.state == "sent")
}

fn part(m: &Received, content_type: &str) -> String {
    m.part(content_type)
        .unwrap_or_else(|| panic!("no {content_type} part:\n{}", m.data))
}

fn message_ids(received: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = received
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids
}

wetech_test_db::backend_tests! {
    fn every_message_arrives_once_over_starttls_with_its_recipients_and_both_parts(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::Starttls).await;
            let setup = smtp_settings(&sink, TlsMode::Starttls);
            for (event, role, facts) in every_kind() {
                enqueue(db, &event, role, None, &facts);
            }
            run_until(db, vec![sender(db, &setup.settings)], all_sent).await;
            let received = sink.wait_for(5, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 5, "each once");
            for m in &received {
                assert!(m.tls, "over STARTTLS");
                assert_eq!(m.user.as_deref(), Some("mailer"));
                assert_eq!(m.from, "no-reply@wetech.example");
                assert!(m.header("Date").is_some());
                assert_eq!(m.header("From").unwrap(), "wetech <no-reply@wetech.example>");
                assert!(part(m, "text/plain").contains("INV-2026-000042"));
                assert!(part(m, "text/html").contains("INV-2026-000042"));
                assert!(!m.data.contains("<img"), "no images");
            }
            let staff: Vec<_> = received.iter().filter(|m| m.to.len() == 2).collect();
            assert_eq!(staff.len(), 3);
            for m in &staff {
                assert_eq!(m.to, vec!["office@example.com", "sales@example.com"]);
                assert_eq!(m.header("Auto-Submitted").as_deref(), Some("auto-generated"));
            }
            for m in received.iter().filter(|m| m.to.len() == 1) {
                assert_eq!(m.to, vec![CUSTOMER]);
                assert_eq!(m.header("Auto-Submitted"), None);
            }
            assert_eq!(
                message_ids(&received),
                vec![
                    "<attempt-7.review-9.staff@wetech.example>",
                    "<invoice-abc.paid.customer@wetech.example>",
                    "<invoice-abc.paid.staff@wetech.example>",
                    "<lead-42.new-lead.customer@wetech.example>",
                    "<lead-42.new-lead.staff@wetech.example>",
                ]
            );
            let lead = received.iter().find(|m| m.header("Message-ID").unwrap().starts_with("<lead-42.new-lead.staff")).unwrap();
            assert!(lead.data.contains("https://shop.example/admin/leads/42"), "absolute back-office link");
            let rows = outbox::list_all(&mut db.conn()).unwrap();
            assert!(rows.iter().all(|r| r.server_answer.as_deref().is_some_and(|a| a.starts_with("250"))));
        });
    }

    fn a_server_that_is_down_then_back_gets_every_message_once(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::ImplicitTls).await;
            let setup = smtp_settings(&sink, TlsMode::Tls);
            sink.down();
            for (event, role, facts) in every_kind() {
                enqueue(db, &event, role, None, &facts);
            }
            let s = sender(db, &setup.settings);
            let (_stop, stopped) = watch::channel(false);
            let round = s.round(&stopped).await.unwrap();
            assert_eq!(round.retrying, 5, "{round:?}");
            let rows = outbox::list_all(&mut db.conn()).unwrap();
            assert!(rows.iter().all(|r| r.state == "waiting" && r.attempts == 1 && r.last_error.is_some()));
            sink.up().await;
            run_until(db, vec![s], all_sent).await;
            let received = sink.wait_for(5, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 5);
            let mut ids = message_ids(&received);
            ids.dedup();
            assert_eq!(ids.len(), 5, "each once");
            assert!(received.iter().all(|m| m.tls), "implicit TLS");
        });
    }

    fn a_crash_between_acceptance_and_our_record_sends_at_most_one_duplicate_with_the_same_message_id(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::Starttls).await;
            let setup = smtp_settings(&sink, TlsMode::Starttls);
            enqueue(db, "lead-42.new-lead", RecipientRole::Staff, None, &new_lead_staff("Amina Juma", None));
            let s = sender(db, &setup.settings);
            // A sender claims, the server accepts, and the process dies before recording it.
            let now = now_utc();
            let lease = now + chrono::Duration::seconds(1);
            let claimed = outbox::claim(&mut db.conn(), now, lease, 10).unwrap();
            let composed = s.compose(&claimed[0]).unwrap();
            Transport::from_settings(&setup.settings, false)
                .unwrap()
                .send(&composed.message, &composed.name)
                .await
                .unwrap();
            // Until the lease lapses nobody sends it; then the next sender does, once.
            let (_stop, stopped) = watch::channel(false);
            assert_eq!(s.round(&stopped).await.unwrap().claimed(), 0);
            tokio::time::sleep(Duration::from_millis(1100)).await;
            run_until(db, vec![s.clone()], all_sent).await;
            run_until(db, vec![s], all_sent).await;
            let received = sink.wait_for(2, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 2, "one duplicate at most");
            assert_eq!(received[0].header("Message-ID"), received[1].header("Message-ID"));
            assert_eq!(outbox::list_all(&mut db.conn()).unwrap()[0].attempts, 2);
        });
    }

    fn two_senders_on_one_database_never_send_a_message_twice(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::Starttls).await;
            let setup = smtp_settings(&sink, TlsMode::Starttls);
            for n in 0..30 {
                enqueue(db, &format!("lead-{n}.new-lead"), RecipientRole::Staff, None, &new_lead_staff("Amina Juma", None));
            }
            run_until(db, vec![sender(db, &setup.settings), sender(db, &setup.settings)], all_sent).await;
            let received = sink.wait_for(30, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 30);
            let mut ids = message_ids(&received);
            ids.dedup();
            assert_eq!(ids.len(), 30, "no message twice");
        });
    }

    fn hostile_lead_text_is_escaped_in_html_and_adds_no_header(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::Starttls).await;
            let setup = smtp_settings(&sink, TlsMode::Starttls);
            let hostile = new_lead_staff(
                "Eve\r\nBcc: victim@example.org",
                Some("<script>alert(1)</script><img src=\"https://evil.example/pixel.gif\">"),
            );
            enqueue(db, "lead-42.new-lead", RecipientRole::Staff, None, &hostile);
            run_until(db, vec![sender(db, &setup.settings)], all_sent).await;
            let received = sink.wait_for(1, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 1);
            let m = &received[0];
            assert_eq!(m.to, vec!["office@example.com", "sales@example.com"], "no added recipient");
            let head = m.data.split("\r\n\r\n").next().unwrap();
            assert!(!head.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{head}");
            let html = part(m, "text/html");
            assert!(!html.contains("<script>") && !html.contains("<img"), "{html}");
            assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "escaped: {html}");
            assert!(part(m, "text/plain").contains("<script>alert(1)</script>"), "text stays text");
        });
    }

    fn a_refused_customer_message_fails_after_its_retries_and_the_staff_are_told(db: &TestDb) {
        runtime().block_on(async {
            let sink = SmtpSink::start(Security::Starttls).await;
            sink.refuse("nobody@example.com");
            let setup = smtp_settings(&sink, TlsMode::Starttls);
            let kinds = every_kind();
            let (_, _, receipt) = &kinds[2];
            enqueue(db, "invoice-abc.paid", RecipientRole::Customer, Some("nobody@example.com"), receipt);
            enqueue(db, "lead-42.new-lead", RecipientRole::Staff, None, &new_lead_staff("Amina Juma", None));
            run_until(db, vec![sender(db, &setup.settings)], |rows| {
                rows.len() == 3 && rows.iter().all(|r| r.state == "sent" || r.state == "failed")
            })
            .await;
            let rows = outbox::list_all(&mut db.conn()).unwrap();
            let refused = &rows[0];
            assert_eq!(refused.state, "failed");
            assert_eq!(refused.attempts, 2, "its retries");
            assert!(refused.server_answer.as_deref().unwrap().contains("550"), "{refused:?}");
            assert_eq!(rows[1].state, "sent", "nothing else blocked");
            assert_eq!(rows[2].kind, "undelivered-staff");
            assert_eq!(rows[2].state, "sent");
            let received = sink.wait_for(2, Duration::from_secs(5)).await;
            assert_eq!(received.len(), 2);
            let told = received.iter().find(|m| m.header("Subject").unwrap().starts_with("Undelivered")).unwrap();
            assert!(told.data.contains("nobody@example.com") && told.data.contains("550"));
            assert_eq!(told.to, vec!["office@example.com", "sales@example.com"]);
        });
    }
}

#[test]
fn the_file_transport_writes_one_eml_per_message() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let settings = MailSettings {
        transport: Some(TransportKind::File),
        dir: dir.path().join("mail"),
        poll_ms: 50,
        ..MailSettings::default()
    };
    for (event, role, facts) in every_kind() {
        enqueue(&db, &event, role, None, &facts);
    }
    runtime().block_on(run_until(&db, vec![sender(&db, &settings)], all_sent));
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(files.iter().all(|f| f.ends_with(".eml")));
    let first = std::fs::read_to_string(dir.path().join("mail").join(&files[0])).unwrap();
    assert!(
        first.contains("Message-ID: <lead-42.new-lead.staff@wetech.localhost>"),
        "{first}"
    );
    assert!(first.contains("Content-Type: text/html"));
}

#[test]
fn a_stalled_server_is_given_up_after_the_timeout_and_retried() {
    let db = TestDb::sqlite();
    runtime().block_on(async {
        let sink = SmtpSink::start(Security::Starttls).await;
        sink.stall(true);
        let mut setup = smtp_settings(&sink, TlsMode::Starttls);
        setup.settings.smtp.timeout_secs = 1;
        enqueue(
            &db,
            "lead-42.new-lead",
            RecipientRole::Staff,
            None,
            &new_lead_staff("Amina Juma", None),
        );
        let s = sender(&db, &setup.settings);
        let (_stop, stopped) = watch::channel(false);
        let started = std::time::Instant::now();
        let round = s.round(&stopped).await.unwrap();
        assert_eq!(round.retrying, 1);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bounded by the timeout"
        );
        sink.stall(false);
        run_until(&db, vec![s], all_sent).await;
        assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    });
}

/// Draws a fixed "receipt", or fails as told.
struct FakeReceipts(fn(&str) -> Result<Vec<u8>, wetech_mail::AttachmentError>);

impl wetech_mail::ReceiptSource for FakeReceipts {
    fn receipt(
        &self,
        public_id: &str,
        language: wetech_i18n::Language,
    ) -> Result<wetech_mail::Attachment, wetech_mail::AttachmentError> {
        Ok(wetech_mail::Attachment {
            filename: format!("receipt-{public_id}-{}.pdf", language.code()),
            content_type: "application/pdf".into(),
            bytes: (self.0)(public_id)?,
        })
    }
}

fn enqueue_receipt(db: &TestDb, public_id: &str) {
    let (_, _, facts) = every_kind().remove(2);
    outbox::enqueue(
        &mut db.conn(),
        &NewMessage {
            event_key: &format!("invoice-{public_id}.paid"),
            role: RecipientRole::Customer,
            to_address: Some(CUSTOMER),
            language: "sw",
            facts: &facts,
            attachment: Some(&format!("receipt:{public_id}")),
            now: now_utc(),
        },
    )
    .unwrap();
}

/// A `receipt:PUBLIC_ID` slot is filled at send time: the file is attached (base64, as
/// `application/pdf`, in the row's language); a receipt that cannot be read now is tried
/// again, one that can never be made (or no source at all) fails — a receipt e-mail never
/// leaves without its receipt.
#[test]
fn the_receipt_slot_is_filled_when_sending_or_the_message_waits_or_fails() {
    let db = TestDb::sqlite();
    runtime().block_on(async {
        let sink = SmtpSink::start(Security::Starttls).await;
        let setup = smtp_settings(&sink, TlsMode::Starttls);
        enqueue_receipt(&db, "good");
        enqueue_receipt(&db, "later");
        enqueue_receipt(&db, "never");
        let source = FakeReceipts(|id| match id {
            "good" => Ok(b"%PDF-1.7 fake".to_vec()),
            "later" => Err(wetech_mail::AttachmentError::Unavailable(
                "database down".into(),
            )),
            _ => Err(wetech_mail::AttachmentError::Impossible("not paid".into())),
        });
        let with = sender(&db, &setup.settings).with_receipts(std::sync::Arc::new(source));
        run_until(&db, vec![with], |rows| {
            rows.iter()
                .filter(|r| r.kind == "receipt-customer")
                .all(|r| r.attempts > 0)
                && rows.iter().any(|r| r.state == "failed")
        })
        .await;
        let rows = outbox::list_all(&mut db.conn()).unwrap();
        let state = |event: &str| {
            rows.iter()
                .find(|r| r.event_key == event)
                .map(|r| r.state.clone())
                .unwrap()
        };
        assert_eq!(state("invoice-good.paid"), "sent");
        assert_eq!(state("invoice-later.paid"), "waiting", "{rows:?}");
        assert_eq!(state("invoice-never.paid"), "failed");
        let received = sink.wait_for(1, Duration::from_secs(5)).await;
        let receipt = received
            .iter()
            .find(|m| m.to == [CUSTOMER])
            .expect("the good receipt arrived");
        assert_eq!(
            receipt.part_bytes("application/pdf").unwrap(),
            b"%PDF-1.7 fake"
        );
        assert!(
            receipt.data.contains("filename=\"receipt-good-sw.pdf\""),
            "{}",
            receipt.data
        );
        assert!(receipt.data.contains("Content-Type: multipart/mixed"));

        // Without a source, a receipt slot cannot be filled: failed, not sent bare.
        let bare_db = TestDb::sqlite();
        enqueue_receipt(&bare_db, "bare");
        run_until(&bare_db, vec![sender(&bare_db, &setup.settings)], |rows| {
            rows.iter().any(|r| r.state == "failed")
        })
        .await;
        let rows = outbox::list_all(&mut bare_db.conn()).unwrap();
        assert_eq!(rows[0].state, "failed", "{rows:?}");
        assert!(
            rows[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("attachment"),
            "{rows:?}"
        );
    });
}
