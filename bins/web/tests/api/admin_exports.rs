//! The CSV exports through the real server on both backends: UTF-8 with a header row, the
//! lists' filters, every cell a spreadsheet would run as a formula prefixed with `'` (hostile
//! names, companies and messages), an `export` audit entry each, and the lists' refusals.

use serde_json::json;

use crate::admin::get;
use crate::admin_leads::staff;
use crate::app_tests;
use crate::helpers::TestApp;

/// Submits a lead with these fields; returns its invoice's public id.
async fn lead(app: &TestApp, name: &str, email: &str, company: &str, message: &str) -> String {
    let resp = app
        .post_json(
            "/api/v1/leads",
            &json!({"name": name, "email": email, "phone": "0754123456", "company": company,
                    "service": "WEB-BASIC", "message": message}),
        )
        .await;
    assert_eq!(resp.status(), 201, "{name}");
    resp.json::<serde_json::Value>().await.unwrap()["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The rows of a CSV body, the header first.
fn rows(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn exports(app: &TestApp) -> i64 {
    use diesel::RunQueryDsl as _;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'export'")
        .get_result::<N>(&mut **app.db.conn())
        .unwrap()
        .n
}

const HOSTILE_NAMES: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+Plus Name",
    "-Minus Name",
    "@Sum Name",
];

app_tests! {
    async fn the_leads_export_neutralises_formulas_and_keeps_the_filters(app: TestApp) {
        for (i, name) in HOSTILE_NAMES.iter().enumerate() {
            lead(&app, name, &format!("h{i}@example.com"), "=1+1", "@SUM(A1:A9)\nsecond line").await;
        }
        lead(&app, "Zuhura Ḥāmid <script>", "zuhura@example.com", "Ḥāmid & Co", "Karibu").await;
        staff(&app).await;
        let before = exports(&app);
        let resp = app.get("/admin/leads.csv").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(resp.headers()["cache-control"], "no-store");
        let body = resp.text().await.unwrap();
        let all = rows(&body);
        assert_eq!(all[0][..4], ["lead_id", "received_utc", "sales_status", "client_name"]);
        assert_eq!(all.len(), 6, "{body}");
        for row in &all {
            for cell in row {
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula cell: {cell:?}");
            }
        }
        let names: Vec<&str> = all[1..].iter().map(|r| r[3].as_str()).collect();
        assert_eq!(names[0], "Zuhura Ḥāmid <script>", "UTF-8, newest first, as typed");
        for name in HOSTILE_NAMES {
            assert!(names.contains(&format!("'{name}").as_str()), "{name}: {names:?}");
        }
        let hostile = &all[2];
        assert_eq!((hostile[5].as_str(), hostile[6].as_str()), ("'+255754123456", "'=1+1"));
        assert_eq!(hostile[9], "'@SUM(A1:A9)\nsecond line");
        assert_eq!(exports(&app), before + 1);

        let only = rows(&get(&app, "/admin/leads.csv?q=zuhura&status=new").await.body);
        assert_eq!(only.len(), 2);
        assert_eq!(rows(&get(&app, "/admin/leads.csv?status=won").await.body).len(), 1, "the header only");
        assert_eq!(exports(&app), before + 3);
        for bad in ["status=paid", "page=0"] {
            let refused = get(&app, &format!("/admin/leads.csv?{bad}")).await;
            assert_eq!(refused.status, 400, "{bad}");
        }
        assert_eq!(get(&app, &format!("/admin/leads.csv?q={}", "q".repeat(101))).await.status, 400);
        assert_eq!(exports(&app), before + 3, "a refused export is not one");
    }

    async fn the_invoices_export_keeps_the_filters_and_neutralises_formulas(app: TestApp) {
        let a = lead(&app, "=cmd|' /C calc'!A0", "a@example.com", "", "hi").await;
        let b = lead(&app, "Baraka Juma", "b@example.org", "", "hi").await;
        staff(&app).await;
        let page = get(&app, "/admin/invoices").await;
        assert!(page.body.contains("href=\"/admin/invoices.csv\""), "the list links its export");
        let all = rows(&get(&app, "/admin/invoices.csv").await.body);
        assert_eq!(all[0][..3], ["invoice_number", "public_id", "status"]);
        assert_eq!(all.len(), 3);
        assert_eq!((all[1][1].as_str(), all[2][1].as_str()), (b.as_str(), a.as_str()));
        assert_eq!(all[2][8], "'=cmd|' /C calc'!A0");
        assert_eq!((all[1][2].as_str(), all[1][4].as_str(), all[1][5].as_str()), ("unpaid", "500000.00", "TZS"));
        let filtered = rows(&get(&app, "/admin/invoices.csv?q=EXAMPLE.ORG&status=unpaid").await.body);
        assert_eq!(filtered.len(), 2);
        assert_eq!(filtered[1][1], b);
        assert_eq!(rows(&get(&app, "/admin/invoices.csv?status=paid").await.body).len(), 1);
        assert_eq!(get(&app, "/admin/invoices.csv?status=bogus").await.status, 400);
        assert_eq!(exports(&app), 3);
    }
}
