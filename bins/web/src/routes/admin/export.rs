//! `GET /admin/leads.csv` and `GET /admin/invoices.csv`: the lists with the same filters as their
//! pages, as UTF-8 CSV with a header row. The body is streamed: rows are read
//! [`EXPORT_CHUNK`](wetech_app::backoffice::EXPORT_CHUNK) at a time, each chunk older than the
//! last, so no export holds more than one chunk. A cell that a spreadsheet would read as a
//! formula (beginning with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`. Each export is an
//! `export` audit entry.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::Stream;
use wetech_app::BackOffice;
use wetech_app::backoffice::{Actor, EXPORT_CHUNK, Export, StaffError};
use wetech_domain::{Currency, Money};
use wetech_persistence::invoice_list::{InvoiceFilter, InvoiceListRow};
use wetech_persistence::lead_list::{LeadFilter, LeadListRow};

use super::blocking;
use super::list_query::ListQuery;
use super::session::{AdminError, StaffSession, client_address};
use super::{invoices, leads};

/// `s` as a CSV cell a spreadsheet shows as text, never runs as a formula.
pub(crate) fn cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `records` as CSV lines, each cell protected by [`cell`].
fn encode(records: &[Vec<String>]) -> Result<Bytes, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(r.iter().map(|c| cell(c).into_owned()))?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Where an export stands between two chunks.
enum Cursor {
    Header,
    Before(Option<i64>),
    Done,
}

/// A failure once the body has begun: logged, and the body ends (the client sees a cut-off file).
fn cut(e: &dyn std::fmt::Display) -> std::io::Error {
    tracing::error!(error = %e, "an export failed part way");
    std::io::Error::other("the export failed part way")
}

/// The body of an export: `header`, then `fetch(before)`'s chunks (newest first, `before` the id
/// of the last row sent), each row made into its id and cells by `line`, until a chunk comes
/// back short.
fn body<R, F, L>(
    header: &'static [&'static str],
    fetch: F,
    line: L,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static
where
    R: Send + 'static,
    F: Fn(Option<i64>) -> Result<Vec<R>, StaffError> + Clone + Send + 'static,
    L: Fn(&R) -> (i64, Vec<String>) + Clone + 'static,
{
    futures_util::stream::unfold(Cursor::Header, move |cursor| {
        let (fetch, line) = (fetch.clone(), line.clone());
        async move {
            match cursor {
                Cursor::Done => None,
                Cursor::Header => {
                    let names: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
                    Some((encode(&[names]).map_err(|e| cut(&e)), Cursor::Before(None)))
                }
                Cursor::Before(before) => {
                    let rows = match tokio::task::spawn_blocking(move || fetch(before)).await {
                        Ok(Ok(rows)) => rows,
                        Ok(Err(e)) => return Some((Err(cut(&e)), Cursor::Done)),
                        Err(e) => return Some((Err(cut(&e)), Cursor::Done)),
                    };
                    if rows.is_empty() {
                        return None;
                    }
                    let full = i64::try_from(rows.len()).is_ok_and(|n| n >= EXPORT_CHUNK);
                    let (ids, cells): (Vec<i64>, Vec<Vec<String>>) = rows.iter().map(line).unzip();
                    let next = match ids.last() {
                        Some(last) if full => Cursor::Before(Some(*last)),
                        _ => Cursor::Done,
                    };
                    Some((encode(&cells).map_err(|e| cut(&e)), next))
                }
            }
        }
    })
}

/// Checks the filters, writes the audit entry, and answers with the streamed file `name`.
async fn answer<S>(
    req: &HttpRequest,
    who: &wetech_app::backoffice::SignedIn,
    office: &Arc<BackOffice>,
    what: Export,
    query: &ListQuery,
    stream: S,
) -> Result<HttpResponse, AdminError>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + 'static,
{
    let actor = Actor::staff(who, client_address(req));
    let (q, status) = (
        query.search().map(str::to_owned),
        Some(query.status.clone()).filter(|s| !s.is_empty()),
    );
    let audit = Arc::clone(office);
    blocking(move || audit.record_export(what, q.as_deref(), status.as_deref(), &actor)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("{}.csv", what.as_str()))],
        })
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .streaming(stream))
}

/// A UTC time as a CSV cell (`2026-12-03 06:30:00`).
fn utc(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

const LEAD_COLUMNS: &[&str] = &[
    "lead_id",
    "received_utc",
    "sales_status",
    "client_name",
    "client_email",
    "client_phone",
    "client_company",
    "service",
    "invoice_number",
    "message",
];

fn lead_cells(r: &LeadListRow) -> (i64, Vec<String>) {
    (
        r.id,
        vec![
            r.id.to_string(),
            utc(&r.created_at),
            r.sales_status.as_str().to_owned(),
            r.client_name.clone(),
            r.client_email.clone(),
            r.client_phone.clone(),
            r.client_company.clone().unwrap_or_default(),
            r.service_name.clone(),
            r.invoice_number.clone().unwrap_or_default(),
            r.message.clone().unwrap_or_default(),
        ],
    )
}

/// `GET /admin/leads.csv` with the filters of `GET /admin/leads`.
pub async fn leads(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let query = ListQuery::of(&req)?;
    let status = leads::status_filter(&query)?;
    let office = office.into_inner();
    let (reader, q) = (Arc::clone(&office), query.search().map(str::to_owned));
    let fetch = move |before_id| {
        reader.leads_chunk(&LeadFilter {
            q: q.as_deref(),
            status,
            client_id: None,
            before_id,
        })
    };
    let stream = body(LEAD_COLUMNS, fetch, lead_cells);
    answer(&req, &who, &office, Export::Leads, &query, stream).await
}

const INVOICE_COLUMNS: &[&str] = &[
    "invoice_number",
    "public_id",
    "status",
    "service",
    "amount",
    "currency",
    "issued_utc",
    "paid_utc",
    "client_name",
    "client_email",
];

fn decimal(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).map_or_else(|_| minor.to_string(), |m| m.to_decimal_string())
}

fn invoice_cells(r: &InvoiceListRow) -> (i64, Vec<String>) {
    (
        r.id,
        vec![
            r.number.clone(),
            r.public_id.clone(),
            r.status.as_str().to_owned(),
            r.service_name.clone(),
            decimal(r.amount_minor, r.currency),
            r.currency.to_string(),
            utc(&r.issued_at),
            r.paid_at.as_ref().map(utc).unwrap_or_default(),
            r.client_name.clone(),
            r.client_email.clone(),
        ],
    )
}

/// `GET /admin/invoices.csv` with the filters of `GET /admin/invoices`.
pub async fn invoices(
    req: HttpRequest,
    StaffSession(who): StaffSession,
    office: web::Data<BackOffice>,
) -> Result<HttpResponse, AdminError> {
    let query = ListQuery::of(&req)?;
    let status = invoices::status_filter(&query)?;
    let office = office.into_inner();
    let (reader, q) = (Arc::clone(&office), query.search().map(str::to_owned));
    let fetch = move |before_id| {
        reader.invoices_chunk(&InvoiceFilter {
            q: q.as_deref(),
            status,
            client_id: None,
            before_id,
        })
    };
    let stream = body(INVOICE_COLUMNS, fetch, invoice_cells);
    answer(&req, &who, &office, Export::Invoices, &query, stream).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_prefixed() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(s), format!("'{s}"), "{s:?}");
        }
        for s in ["", "plain", " =1", "a=b", "'quoted", "Ḥāmid"] {
            assert_eq!(cell(s), s, "{s:?}");
        }
    }

    #[test]
    fn encoded_lines_are_protected_and_quoted() {
        let bytes =
            encode(&[vec!["=x".to_owned(), "a,b".to_owned(), "l1\nl2".to_owned()]]).unwrap();
        assert_eq!(&bytes[..], b"'=x,\"a,b\",\"l1\nl2\"\n");
    }
}
