//! The dashboard's figures (docs/back-office.md says which exist yet).

use chrono::{Datelike as _, NaiveDateTime};
use wetech_domain::{AttemptStatus, Currency, InvoiceStatus, Money};
use wetech_persistence::{dashboard, invoice_list, now_utc};

use super::{BackOffice, StaffError};

/// What the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Leads since midnight (UTC).
    pub leads_today: i64,
    /// Leads in the last 7 days.
    pub leads_7_days: i64,
    /// What unpaid and pending invoices add up to, per currency.
    pub unpaid: Vec<Money>,
    /// What invoices paid this calendar month (UTC) add up to, per currency.
    pub paid_this_month: Vec<Money>,
    /// Payment attempts in the `review` state (a person must look).
    pub attempts_in_review: i64,
}

fn money(totals: Vec<(String, i64)>) -> Result<Vec<Money>, StaffError> {
    totals
        .into_iter()
        .map(|(code, minor)| {
            let currency = Currency::parse(&code)
                .map_err(|e| StaffError::Corrupt(format!("invoice currency: {e}")))?;
            Money::from_minor(minor, currency)
                .map_err(|e| StaffError::Corrupt(format!("invoice total: {e}")))
        })
        .collect()
}

impl BackOffice {
    /// The dashboard, now.
    ///
    /// # Errors
    /// A database error.
    pub fn dashboard(&self) -> Result<Dashboard, StaffError> {
        self.dashboard_at(now_utc())
    }

    /// The dashboard at the time `now`.
    ///
    /// # Errors
    /// A database error.
    pub fn dashboard_at(&self, now: NaiveDateTime) -> Result<Dashboard, StaffError> {
        let midnight = now.date().and_time(chrono::NaiveTime::MIN);
        let week = now - chrono::Duration::days(7);
        let month = now
            .date()
            .with_day(1)
            .unwrap_or(now.date())
            .and_time(chrono::NaiveTime::MIN);
        let (today, seven, unpaid, paid, review) = self.uow.read(|c| {
            Ok::<_, StaffError>((
                dashboard::leads_since(c, midnight)?,
                dashboard::leads_since(c, week)?,
                dashboard::invoice_totals(c, &[InvoiceStatus::Unpaid, InvoiceStatus::Pending])?,
                dashboard::paid_since(c, month)?,
                invoice_list::count_attempts(c, AttemptStatus::Review)?,
            ))
        })?;
        Ok(Dashboard {
            leads_today: today,
            leads_7_days: seven,
            unpaid: money(unpaid)?,
            paid_this_month: money(paid)?,
            attempts_in_review: review,
        })
    }
}
