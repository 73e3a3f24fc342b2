//! The back office's sign-in through the real server: the cookie, refusals that do not say
//! which part was wrong, lockout, `next`, session expiry and ending, roles, the headers of
//! every `/admin` answer, CSRF and hostile bodies.

use diesel::RunQueryDsl as _;
use secrecy::SecretString;
use wetech_app::backoffice::{Actor, AdminSettings, BackOffice, NewPassword, NewStaffAccount};
use wetech_domain::{EmailAddress, PersonName, StaffRole};

use crate::app_tests;
use crate::helpers::TestApp;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn office(app: &TestApp) -> BackOffice {
    BackOffice::new(app.db.unit_of_work(), &AdminSettings::default())
}

pub(crate) fn add(app: &TestApp, email: &str, role: StaffRole) {
    office(app)
        .add_account(
            &NewStaffAccount {
                email: EmailAddress::parse(email).unwrap(),
                name: PersonName::parse("Neema <b>Mushi</b>").unwrap(),
                role,
                password: NewPassword::parse(SecretString::from(PASSWORD)).unwrap(),
            },
            &Actor::ops(),
        )
        .unwrap();
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

pub(crate) async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let location = headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    Answer {
        status,
        location,
        headers,
        body: resp.text().await.unwrap(),
    }
}

impl Answer {
    pub(crate) fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a csrf_token field") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    pub(crate) fn assert_private(&self, what: &str) {
        assert_eq!(self.headers["cache-control"], "no-store", "{what}");
        assert_eq!(self.headers["x-robots-tag"], "noindex", "{what}");
    }
}

pub(crate) async fn get(app: &TestApp, path: &str) -> Answer {
    answer(app.get(path).await).await
}

pub(crate) async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    answer(
        app.client
            .post(format!("{}{path}", app.address))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn token(app: &TestApp) -> String {
    get(app, "/admin/login").await.csrf_token()
}

pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str, next: &str) -> Answer {
    let token = token(app).await;
    post(
        app,
        "/admin/login",
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
            ("next", next),
        ],
    )
    .await
}

/// Sets every session's `last_seen_at` and `created_at` these many minutes back from now.
fn age_sessions(app: &TestApp, idle_minutes: i64, age_minutes: i64) {
    let now = wetech_persistence::now_utc();
    let stamp = |m: i64| {
        (now - chrono::Duration::minutes(m))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    diesel::sql_query(format!(
        "UPDATE staff_sessions SET last_seen_at = '{}', created_at = '{}'",
        stamp(idle_minutes),
        stamp(age_minutes)
    ))
    .execute(&mut **app.db.conn())
    .unwrap();
    // A session older than its account's password is refused; the accounts are older still.
    diesel::sql_query(format!(
        "UPDATE staff_accounts SET password_changed_at = '{}'",
        stamp(24 * 60)
    ))
    .execute(&mut **app.db.conn())
    .unwrap();
}

app_tests! {
    async fn signing_in_sets_a_strict_cookie_and_opens_the_dashboard(app: TestApp) {
        add(&app, "neema@example.com", StaffRole::Staff);
        let first = get(&app, "/admin/").await;
        assert_eq!((first.status, first.location.as_deref()), (303, Some("/admin/login?next=%2Fadmin%2F")));
        let form = get(&app, "/admin/login?next=/admin/").await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("name=\"next\" value=\"/admin/\""), "{}", form.body);
        assert!(form.body.contains("/static/site.css") && !form.body.contains("<script") && !form.body.contains("style="));
        let signed = sign_in(&app, "Neema@Example.com", PASSWORD, "").await;
        assert_eq!((signed.status, signed.location.as_deref()), (303, Some("/admin/")));
        let cookie = signed.headers["set-cookie"].to_str().unwrap().to_owned();
        for part in ["wetech_admin=", "HttpOnly", "SameSite=Strict", "Path=/admin"] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "development: no Secure");
        let page = get(&app, "/admin/").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Mushi") && !page.body.contains("<b>Mushi"), "escaped: {}", page.body);
        assert!(page.body.contains("New leads today") && page.body.contains("—"));
        page.assert_private("dashboard");
        // Signed in, the audit log is still admin-only.
        let audit = get(&app, "/admin/audit").await;
        assert_eq!(audit.status, 403);
        audit.assert_private("403");
        // Logout needs the form's token, then ends the session.
        assert_eq!(post(&app, "/admin/logout", &[]).await.status, 403);
        assert_eq!(post(&app, "/admin/logout", &[("csrf_token", "forged-forged-forged-forged")]).await.status, 403);
        assert_eq!(get(&app, "/admin/").await.status, 200, "a refused logout ends nothing");
        let out = post(&app, "/admin/logout", &[("csrf_token", &page.csrf_token())]).await;
        assert_eq!((out.status, out.location.as_deref()), (303, Some("/admin/login")));
        assert_eq!(get(&app, "/admin/").await.status, 303);
    }

    async fn a_wrong_password_and_an_unknown_address_get_the_same_401(app: TestApp) {
        add(&app, "amina@example.com", StaffRole::Admin);
        let wrong = sign_in(&app, "amina@example.com", "not the password", "/admin/").await;
        let unknown = sign_in(&app, "nobody@example.com", PASSWORD, "/admin/").await;
        assert_eq!((wrong.status, unknown.status), (401, 401));
        assert_eq!(wrong.body, unknown.body, "the page does not say which was wrong");
        assert!(wrong.body.contains("not right") && !wrong.body.contains("amina@example.com"));
        assert!(!wrong.headers.contains_key("set-cookie") || !wrong.headers["set-cookie"].to_str().unwrap().contains("wetech_admin"));
        wrong.assert_private("401");
        assert_eq!(get(&app, "/admin/").await.status, 303);
    }

    async fn five_failures_lock_sign_in_with_429_and_retry_after(app: TestApp) {
        add(&app, "locked@example.com", StaffRole::Admin);
        for _ in 0..5 {
            assert_eq!(sign_in(&app, "locked@example.com", "not the password", "").await.status, 401);
        }
        let locked = sign_in(&app, "locked@example.com", PASSWORD, "").await;
        assert_eq!(locked.status, 429, "{}", locked.body);
        assert_eq!(locked.headers["retry-after"], "900");
        assert!(locked.body.contains("15 minutes"), "{}", locked.body);
        locked.assert_private("429");
        assert_eq!(get(&app, "/admin/").await.status, 303, "no session was opened");
    }

    async fn next_leads_only_into_the_back_office(app: TestApp) {
        add(&app, "next@example.com", StaffRole::Staff);
        for (next, expected) in [
            ("//evil.example/", "/admin/"),
            ("/\\evil.example", "/admin/"),
            ("https://evil.example/admin/", "/admin/"),
            ("/admin//evil.example", "/admin/"),
            ("evil", "/admin/"),
            ("/invoices/x", "/admin/"),
            ("/admin/audit?before=5", "/admin/audit?before=5"),
        ] {
            let signed = sign_in(&app, "next@example.com", PASSWORD, next).await;
            assert_eq!((signed.status, signed.location.as_deref()), (303, Some(expected)), "next {next:?}");
        }
        // A foreign next in the form's link is not even put into the form.
        let form = get(&app, "/admin/login?next=%2F%2Fevil.example").await;
        assert!(form.body.contains("name=\"next\" value=\"\""), "{}", form.body);
    }

    async fn idle_and_old_sessions_end(app: TestApp) {
        add(&app, "idle@example.com", StaffRole::Staff);
        sign_in(&app, "idle@example.com", PASSWORD, "").await;
        age_sessions(&app, 29, 29);
        assert_eq!(get(&app, "/admin/").await.status, 200, "29 idle minutes");
        age_sessions(&app, 31, 31);
        let expired = get(&app, "/admin/").await;
        assert_eq!((expired.status, expired.location.as_deref()), (303, Some("/admin/login?next=%2Fadmin%2F")));
        sign_in(&app, "idle@example.com", PASSWORD, "").await;
        age_sessions(&app, 1, 12 * 60 + 1);
        assert_eq!(get(&app, "/admin/").await.status, 303, "12 hours in all");
    }

    async fn disabling_or_a_new_password_ends_the_session_at_once(app: TestApp) {
        add(&app, "ends@example.com", StaffRole::Admin);
        let email = EmailAddress::parse("ends@example.com").unwrap();
        sign_in(&app, "ends@example.com", PASSWORD, "").await;
        assert_eq!(get(&app, "/admin/audit").await.status, 200);
        let new = NewPassword::parse(SecretString::from("another long passphrase")).unwrap();
        office(&app).set_password(&email, &new, &Actor::ops()).unwrap();
        assert_eq!(get(&app, "/admin/audit").await.status, 303);
        assert_eq!(sign_in(&app, "ends@example.com", "another long passphrase", "").await.status, 303);
        assert_eq!(get(&app, "/admin/").await.status, 200);
        office(&app).disable_account(&email, &Actor::ops()).unwrap();
        assert_eq!(get(&app, "/admin/").await.status, 303);
        assert_eq!(sign_in(&app, "ends@example.com", "another long passphrase", "").await.status, 401, "disabled");
    }

    async fn the_audit_log_is_for_admins_and_shows_sign_in_events(app: TestApp) {
        add(&app, "boss@example.com", StaffRole::Admin);
        sign_in(&app, "boss@example.com", "not the password", "").await;
        sign_in(&app, "boss@example.com", PASSWORD, "").await;
        let page = get(&app, "/admin/audit").await;
        assert_eq!(page.status, 200, "{}", page.body);
        for action in ["staff.add", "login_failed", "login"] {
            assert!(page.body.contains(&format!("<td>{action}</td>")), "{action}: {}", page.body);
        }
        assert!(page.body.contains("127.0.0.1"));
        page.assert_private("audit");
        assert_eq!(post(&app, "/admin/audit", &[]).await.status, 405, "the log cannot be changed");
    }

    async fn every_admin_answer_is_private_and_forms_are_checked(app: TestApp) {
        for path in ["/admin", "/admin/", "/admin/login", "/admin/audit", "/admin/no-such-page"] {
            let a = get(&app, path).await;
            a.assert_private(path);
        }
        assert_eq!(get(&app, "/admin").await.location.as_deref(), Some("/admin/"));
        assert_eq!(get(&app, "/admin/no-such-page").await.status, 404);
        add(&app, "forms@example.com", StaffRole::Staff);
        let token = token(&app).await;
        // CSRF missing or wrong: 403, nothing checked.
        let missing = post(&app, "/admin/login", &[("email", "forms@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(missing.status, 403);
        missing.assert_private("csrf");
        let forged = post(&app, "/admin/login", &[("csrf_token", "forged-forged-forged-forged"), ("email", "forms@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(forged.status, 403);
        // Missing fields, another body type, an oversized body.
        assert_eq!(post(&app, "/admin/login", &[("csrf_token", &token), ("email", "forms@example.com")]).await.status, 422);
        let json = app.client.post(format!("{}/admin/login", app.address)).json(&serde_json::json!({"email": "x"})).send().await.unwrap();
        assert_eq!(json.status(), 415);
        let big = "x".repeat(70 * 1024);
        let huge = post(&app, "/admin/login", &[("csrf_token", &token), ("email", "forms@example.com"), ("password", &big)]).await;
        assert_eq!(huge.status, 413);
        huge.assert_private("413");
        let garbled = app.client.post(format!("{}/admin/login", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=%ZZ&&=&password")
            .send().await.unwrap();
        assert!(garbled.status().is_client_error(), "{}", garbled.status());
        assert_eq!(get(&app, "/admin/").await.status, 303, "none of it signed anyone in");
    }
}

/// A second server on the same database as `app` (another instance behind a load balancer).
async fn second_instance(app: &TestApp) -> String {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(&app.db, dir.path());
    let other = wetech_web::Application::build(settings).await.unwrap();
    let address = format!("http://{}", other.address());
    tokio::spawn(async move {
        let _dir = dir;
        other.run_until_stopped().await
    });
    address
}

app_tests! {
    async fn two_instances_share_sessions_and_lockouts(app: TestApp) {
        add(&app, "shared@example.com", StaffRole::Admin);
        let other = second_instance(&app).await;
        // Cookies do not depend on the port: the one client is one browser for both servers.
        let at_other = |path: &str| {
            let url = format!("{other}{path}");
            let client = app.client.clone();
            async move { answer(client.get(url).send().await.unwrap()).await }
        };
        sign_in(&app, "shared@example.com", PASSWORD, "").await;
        let page = at_other("/admin/audit").await;
        assert_eq!(page.status, 200, "a session opened on one instance holds on the other");
        let out = answer(
            app.client.post(format!("{other}/admin/logout"))
                .form(&[("csrf_token", page.csrf_token().as_str())])
                .send().await.unwrap(),
        ).await;
        assert_eq!(out.status, 303);
        assert_eq!(get(&app, "/admin/").await.status, 303, "a logout on the other instance ends it here");

        for _ in 0..5 {
            assert_eq!(sign_in(&app, "shared@example.com", "not the password", "").await.status, 401);
        }
        let form = at_other("/admin/login").await;
        let locked = answer(
            app.client.post(format!("{other}/admin/login"))
                .form(&[("csrf_token", form.csrf_token().as_str()), ("email", "shared@example.com"), ("password", PASSWORD)])
                .send().await.unwrap(),
        ).await;
        assert_eq!(locked.status, 429, "failures on one instance lock the other");
    }

    async fn a_cookie_set_before_sign_in_is_not_the_session_after_it(app: TestApp) {
        add(&app, "fixation@example.com", StaffRole::Staff);
        let planted = "ab".repeat(32);
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url: reqwest::Url = app.address.parse().unwrap();
        jar.add_cookie_str(&format!("wetech_admin={planted}; Path=/admin"), &url);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let form = answer(client.get(format!("{}/admin/login", app.address)).send().await.unwrap()).await;
        let signed = answer(
            client.post(format!("{}/admin/login", app.address))
                .form(&[("csrf_token", form.csrf_token().as_str()), ("email", "fixation@example.com"), ("password", PASSWORD)])
                .send().await.unwrap(),
        ).await;
        assert_eq!(signed.status, 303);
        let set = signed.headers["set-cookie"].to_str().unwrap();
        assert!(set.starts_with("wetech_admin=") && !set.contains(&planted), "{set}");
        assert!(office(&app).session(&planted).unwrap().is_none(), "the planted token names no session");
        let page = answer(client.get(format!("{}/admin/", app.address)).send().await.unwrap()).await;
        assert_eq!(page.status, 200, "the new cookie replaced the planted one");
    }
}
