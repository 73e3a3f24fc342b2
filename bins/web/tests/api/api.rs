//! The JSON API (docs/interface.md, "JSON API"): happy paths and every refusal.

use serde_json::{Value, json};

use crate::app_tests;

async fn error_code(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "error shape: {body}");
    assert!(body["error"]["message"].is_string(), "error shape: {body}");
    (status, body)
}

app_tests! {
    async fn services_lists_the_default_catalogue(app: TestApp) {
        let resp = app.get("/api/v1/services").await;
        assert_eq!(resp.status(), 200);
        let body: Vec<Value> = resp.json().await.unwrap();
        let find = |code: &str| body.iter().find(|s| s["code"] == code).cloned().unwrap();
        assert_eq!(find("WEB-BASIC"), json!({"code":"WEB-BASIC","name":"Business website","price":"500000.00","currency":"TZS"}));
        assert_eq!(find("WEB-PRO")["price"], "1500000.00");
        assert_eq!(find("HOSTING")["price"], "120000.00");
    }

    async fn lead_creates_client_lead_and_invoice(app: TestApp) {
        let receipt = app.submit_lead("asha@example.co.tz").await;
        let invoice = &receipt["invoice"];
        assert_eq!(invoice["status"], "unpaid");
        assert_eq!(invoice["amount"], "500000.00");
        assert_eq!(invoice["currency"], "TZS");
        let number = invoice["number"].as_str().unwrap();
        assert!(number.starts_with("INV-") && number.len() == "INV-2026-000001".len(), "{number}");
        let id = invoice["id"].as_str().unwrap();
        assert!(id.len() >= 22, "public id has ≥128 bits: {id}");
        assert!(invoice["url"].as_str().unwrap().ends_with(&format!("/invoices/{id}")));
        assert!(receipt["lead_id"].is_i64() && receipt["client_id"].is_i64());

        let shown = app.invoice(id).await;
        assert_eq!(shown["number"], number);
        assert_eq!(shown["service"], "WEB-BASIC");
        assert_eq!(shown["payments"], json!([]));
        assert!(shown["paid_at"].is_null());
    }

    async fn same_email_any_case_keeps_one_client(app: TestApp) {
        let a = app.submit_lead("Juma.Ali@Example.com").await;
        let mut body = crate::helpers::TestApp::lead_body("juma.ali@example.COM");
        body["name"] = json!("Juma Ali Hassan");
        let b: Value = app.post_json("/api/v1/leads", &body).await.json().await.unwrap();
        assert_eq!(a["client_id"], b["client_id"]);
        assert_ne!(a["invoice"]["number"], b["invoice"]["number"]);
    }

    async fn validation_names_every_bad_field(app: TestApp) {
        let body = json!({"name": "", "email": "not-an-email", "phone": "12345", "service": "NOPE", "message": "x".repeat(2001), "extra": 1});
        let (status, err) = error_code(app.post_json("/api/v1/leads", &body).await).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["code"], "validation_failed");
        let fields = err["error"]["fields"].as_object().unwrap();
        for f in ["name", "email", "phone", "message", "extra"] {
            assert!(fields.contains_key(f), "{f} missing in {err}");
        }
        // Missing required fields.
        let (status, err) = error_code(app.post_json("/api/v1/leads", &json!({})).await).await;
        assert_eq!(status, 422);
        for f in ["name", "email", "phone", "service"] {
            assert_eq!(err["error"]["fields"][f], "this field is required");
        }
        // An unknown service is named too.
        let mut body = crate::helpers::TestApp::lead_body("x@example.com");
        body["service"] = json!("NO-SUCH");
        let (status, err) = error_code(app.post_json("/api/v1/leads", &body).await).await;
        assert_eq!(status, 422);
        assert!(err["error"]["fields"]["service"].is_string());
    }

    async fn malformed_wrong_type_and_oversized_bodies(app: TestApp) {
        let url = format!("{}/api/v1/leads", app.address);
        let resp = app.client.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
        let (status, err) = error_code(resp).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (400, "malformed_request"));

        let resp = app.client.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
        let (status, err) = error_code(resp).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (415, "unsupported_media_type"));

        let big = json!({"name": "A", "message": "x".repeat(70 * 1024)});
        let resp = app.client.post(&url).json(&big).send().await.unwrap();
        let (status, err) = error_code(resp).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (413, "payload_too_large"));

        let resp = app.client.post(&url).header("content-type", "application/json").body("[1,2]").send().await.unwrap();
        assert_eq!(resp.status(), 400);
    }

    async fn hostile_text_is_stored_verbatim(app: TestApp) {
        let mut body = crate::helpers::TestApp::lead_body("hostile@example.com");
        body["name"] = json!("Robert'); DROP TABLE clients;-- <script>alert(1)</script>");
        body["company"] = json!("Ḥāmid & Wanawake Ltd — أحمد بن علي");
        body["message"] = json!("x".repeat(2000));
        let resp = app.post_json("/api/v1/leads", &body).await;
        assert_eq!(resp.status(), 201);
        let receipt: Value = resp.json().await.unwrap();
        let mut conn = app.db.conn();
        let client = wetech_persistence::repo::clients::find_by_email(&mut conn, "hostile@example.com").unwrap().unwrap();
        assert_eq!(client.name, "Robert'); DROP TABLE clients;-- <script>alert(1)</script>");
        assert_eq!(client.company.as_deref(), Some("Ḥāmid & Wanawake Ltd — أحمد بن علي"));
        assert_eq!(client.phone, "+255754123456");
        assert_eq!(receipt["invoice"]["status"], "unpaid");
    }

    async fn idempotency_key_replays_and_refuses_reuse(app: TestApp) {
        let url = format!("{}/api/v1/leads", app.address);
        let body = crate::helpers::TestApp::lead_body("idem@example.com");
        let first: Value = app.client.post(&url).header("Idempotency-Key", "abc-123").json(&body).send().await.unwrap().json().await.unwrap();
        let resp = app.client.post(&url).header("Idempotency-Key", "abc-123").json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 201);
        let second: Value = resp.json().await.unwrap();
        assert_eq!(first, second, "a retry returns the first response");
        let mut conn = app.db.conn();
        let client = wetech_persistence::repo::clients::find_by_email(&mut conn, "idem@example.com").unwrap().unwrap();
        let _ = client;
        // A different request under the same key is a conflict.
        let mut other = body.clone();
        other["service"] = json!("HOSTING");
        let resp = app.client.post(&url).header("Idempotency-Key", "abc-123").json(&other).send().await.unwrap();
        let (status, err) = error_code(resp).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (409, "conflict"));
        // A bad key is refused.
        let resp = app.client.post(&url).header("Idempotency-Key", "x".repeat(65)).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 422);
    }

    async fn concurrent_retries_with_one_key_create_one_invoice(app: TestApp) {
        let url = format!("{}/api/v1/leads", app.address);
        let body = crate::helpers::TestApp::lead_body("race@example.com");
        let sends = (0..8).map(|_| app.client.post(&url).header("Idempotency-Key", "race-key").json(&body).send());
        let mut bodies = Vec::new();
        for resp in futures_util::future::join_all(sends).await {
            let resp = resp.unwrap();
            assert_eq!(resp.status(), 201);
            bodies.push(resp.json::<Value>().await.unwrap());
        }
        let first = &bodies[0];
        assert!(bodies.iter().all(|b| b == first), "every retry sees the same invoice");
    }

    async fn unknown_invoice_is_404(app: TestApp) {
        let (status, err) = error_code(app.get("/api/v1/invoices/AAAAAAAAAAAAAAAAAAAAAA").await).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (404, "not_found"));
        let (status, _) = error_code(app.get("/api/v1/invoices/1").await).await;
        assert_eq!(status, 404);
        let (status, _) = error_code(app.get("/api/v1/invoices/%27%20OR%201%3D1--").await).await;
        assert_eq!(status, 404);
    }

    async fn payment_validation(app: TestApp) {
        let receipt = app.submit_lead("payv@example.com").await;
        let id = receipt["invoice"]["id"].as_str().unwrap();
        let path = format!("/api/v1/invoices/{id}/payments");
        let (status, err) = error_code(app.post_json(&path, &json!({"gateway": "paypal"})).await).await;
        assert_eq!(status, 422);
        assert!(err["error"]["fields"]["gateway"].is_string());
        let (status, err) = error_code(app.post_json(&path, &json!({"gateway": "azampay", "phone": "123", "provider": "Nokia"})).await).await;
        assert_eq!(status, 422);
        assert!(err["error"]["fields"]["phone"].is_string() && err["error"]["fields"]["provider"].is_string());
        let (status, _) = error_code(app.post_json("/api/v1/invoices/AAAAAAAAAAAAAAAAAAAAAA/payments", &json!({"gateway": "pesapal"})).await).await;
        assert_eq!(status, 404);
        // Nothing was recorded by the refusals.
        assert_eq!(app.invoice(id).await["payments"], json!([]));
    }

    async fn rate_limit_on_lead_submission(app: TestApp) {
        let _ = app; // this test needs its own limit
        let app = crate::helpers::spawn_app_with(app.db.backend(), |s| s.server.lead_rate_limit_per_minute = 3).await.unwrap();
        for i in 0..3 {
            let resp = app.post_json("/api/v1/leads", &crate::helpers::TestApp::lead_body(&format!("rl{i}@example.com"))).await;
            assert_eq!(resp.status(), 201);
        }
        let resp = app.post_json("/api/v1/leads", &crate::helpers::TestApp::lead_body("rl9@example.com")).await;
        assert_eq!(resp.status(), 429);
        let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry >= 1);
        let (_, err) = error_code(resp).await;
        assert_eq!(err["error"]["code"], "rate_limited");
        // Health is never limited.
        for _ in 0..10 {
            assert_eq!(app.get("/health/live/").await.status(), 200);
        }
    }

    async fn openapi_document(app: TestApp) {
        let resp = app.get("/api/openapi.json").await;
        assert_eq!(resp.status(), 200);
        let doc: Value = resp.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for p in ["/api/v1/services", "/api/v1/leads", "/api/v1/invoices/{id}", "/api/v1/invoices/{id}/payments"] {
            assert!(doc["paths"][p].is_object(), "{p} documented");
        }
    }

    async fn unknown_route_is_json_404(app: TestApp) {
        let (status, err) = error_code(app.get("/api/v1/no/such/thing").await).await;
        assert_eq!((status, err["error"]["code"].as_str().unwrap()), (404, "not_found"));
        // A person mistyping a page address gets a page.
        let resp = app.get("/no/such/page").await;
        assert_eq!(resp.status(), 404);
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
}

app_tests! {
    async fn concurrent_leads_commit_together_and_a_bad_one_fails_alone(app: TestApp) {
        // Submitted at once, these share group commits; the ones naming no active service fail
        // inside their own savepoint and take nothing else down.
        let url = format!("{}/api/v1/leads", app.address);
        let sends = (0..24).map(|i| {
            let mut body = crate::helpers::TestApp::lead_body(&format!("group{i}@example.com"));
            if i % 3 == 0 {
                body["service"] = json!("NO-SUCH");
            }
            app.client.post(&url).json(&body).send()
        });
        let mut numbers = Vec::new();
        for (i, resp) in futures_util::future::join_all(sends).await.into_iter().enumerate() {
            let resp = resp.unwrap();
            if i % 3 == 0 {
                assert_eq!(resp.status(), 422, "lead {i}");
            } else {
                assert_eq!(resp.status(), 201, "lead {i}");
                let body: Value = resp.json().await.unwrap();
                numbers.push(body["invoice"]["number"].as_str().unwrap().to_owned());
                // Acknowledged means stored.
                let id = body["invoice"]["id"].as_str().unwrap();
                assert_eq!(app.invoice(id).await["status"], "unpaid");
            }
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 16, "distinct invoice numbers");
        let mut conn = app.db.conn();
        assert!(wetech_persistence::repo::clients::find_by_email(&mut conn, "group0@example.com").unwrap().is_none());
        assert!(wetech_persistence::repo::clients::find_by_email(&mut conn, "group1@example.com").unwrap().is_some());
    }
}

app_tests! {
    async fn lead_losing_a_key_race_to_another_process_gets_the_winners_answer(app: TestApp) {
        // Another process (this test's own connection) holds an uncommitted record for the key
        // while the server writes a group containing a lead with that key: on PostgreSQL the
        // group's insert waits for it and then loses, which fails the savepoint-free group; the
        // group is written again with savepoints and the loser is answered from the winner's
        // record. Every other lead still commits.
        use diesel::connection::SimpleConnection as _;
        use wetech_persistence::repo::idempotency;
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        let db_settings = app.db.settings();
        let holder = std::thread::spawn(move || {
            let pool = wetech_persistence::connect(&db_settings).unwrap();
            let mut conn = pool.get().unwrap();
            let begin = match conn.backend() {
                wetech_persistence::Backend::Sqlite => "BEGIN IMMEDIATE",
                wetech_persistence::Backend::Postgres => "BEGIN",
            };
            conn.batch_execute(begin).unwrap();
            let now = wetech_persistence::now_utc();
            idempotency::insert(&mut conn, &idempotency::NewIdempotencyRecord {
                scope: "leads",
                key: "raced-key",
                request_fingerprint: "fingerprint-of-another-request",
                response_status: 201,
                response_body: "{}",
                created_at: now,
                expires_at: now + chrono::Duration::hours(24),
            })
            .unwrap();
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(800));
            conn.batch_execute("COMMIT").unwrap();
        });
        locked_rx.recv().unwrap();
        let url = format!("{}/api/v1/leads", app.address);
        let keyed = app
            .client
            .post(&url)
            .header("Idempotency-Key", "raced-key")
            .json(&crate::helpers::TestApp::lead_body("raced@example.com"))
            .send();
        let others = (0..6).map(|i| {
            app.client
                .post(&url)
                .json(&crate::helpers::TestApp::lead_body(&format!("bystander{i}@example.com")))
                .send()
        });
        let (keyed, others) = futures_util::join!(keyed, futures_util::future::join_all(others));
        holder.join().unwrap();
        // The winner's record belongs to a different request: the key's reuse is refused.
        let (status, body) = error_code(keyed.unwrap()).await;
        assert_eq!(status, 409, "{body}");
        for resp in others {
            assert_eq!(resp.unwrap().status(), 201);
        }
        let mut conn = app.db.conn();
        assert!(wetech_persistence::repo::clients::find_by_email(&mut conn, "raced@example.com").unwrap().is_none());
        for i in 0..6 {
            let email = format!("bystander{i}@example.com");
            assert!(wetech_persistence::repo::clients::find_by_email(&mut conn, &email).unwrap().is_some());
        }
    }

    async fn a_wrong_method_is_405_and_health_answers_head(app: TestApp) {
        for (method, path) in [
            (reqwest::Method::DELETE, "/api/v1/services"),
            (reqwest::Method::GET, "/api/v1/leads"),
            (reqwest::Method::PUT, "/payments/pesapal/ipn"),
        ] {
            let resp = app.client.request(method.clone(), format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(resp.status(), 405, "{method} {path}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "method_not_allowed", "{method} {path}: {body}");
        }
        // A path nothing serves is still 404.
        let resp = app.client.delete(format!("{}/api/v1/nothing-here", app.address)).send().await.unwrap();
        assert_eq!(resp.status(), 404);
        for path in ["/health/", "/health", "/health/ready/", "/health/live/"] {
            let resp = app.client.head(format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "HEAD {path}");
        }
    }
}
