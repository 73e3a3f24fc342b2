//! Shared fixtures.

use std::sync::atomic::{AtomicU64, Ordering};

use wetech_domain::InvoiceStatus;
use wetech_persistence::clients::{ClientRow, NewClient};
use wetech_persistence::invoices::{InvoiceRow, NewInvoice};
use wetech_persistence::leads::{LeadRow, NewLead};
use wetech_persistence::{
    DbConnection, PersistenceError, clients, invoices, leads, now_utc, services,
};

/// A process-unique suffix for public ids, references and e-mails.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// What one lead submission writes: the client, the lead, an invoice number and the invoice —
/// the same steps as the application's use case.
pub fn submit_lead(
    conn: &mut DbConnection,
    email: &str,
    service_code: &str,
) -> Result<(ClientRow, LeadRow, InvoiceRow), PersistenceError> {
    let client = NewClient {
        email,
        name: "Amina Juma",
        phone: "+255712345678",
        company: None,
    };
    submit_lead_of(conn, &client, service_code)
}

/// [`submit_lead`] for the given client.
pub fn submit_lead_of(
    conn: &mut DbConnection,
    client: &NewClient<'_>,
    service_code: &str,
) -> Result<(ClientRow, LeadRow, InvoiceRow), PersistenceError> {
    let service =
        services::get_active_by_code(conn, service_code)?.ok_or(PersistenceError::NotFound)?;
    let client = clients::upsert_by_email(conn, client)?;
    let lead = leads::insert(
        conn,
        &NewLead {
            client_id: client.id,
            service_id: service.id,
            message: Some("Habari"),
        },
    )?;
    let seq = invoices::next_invoice_sequence(conn, 2026)?;
    let number = format!("INV-2026-{seq:06}");
    let public_id = wetech_domain::PublicId::generate().to_string();
    let invoice = invoices::insert(
        conn,
        &NewInvoice {
            public_id: &public_id,
            number: &number,
            client_id: client.id,
            lead_id: Some(lead.id),
            service_code: service.code.as_str(),
            service_name: &service.name,
            amount_minor: service.price_minor,
            currency: service.currency.as_str(),
            status: InvoiceStatus::Unpaid,
            issued_at: now_utc(),
        },
    )?;
    Ok((client, lead, invoice))
}

/// Row count of a table, through plain SQL (identical on both backends).
pub fn count(conn: &mut DbConnection, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<N>(conn)
        .unwrap()
        .n
}
