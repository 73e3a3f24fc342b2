//! The lead's sales status: a change, its history row and its audit entry in one transaction.

use serde_json::json;
use wetech_domain::LeadSalesStatus;
use wetech_persistence::lead_status::{self, StatusChange, StatusChangeRow};
use wetech_persistence::{PersistenceError, now_utc};

use super::audit::{self, Actor, Entry};
use super::{BackOffice, StaffError};

impl BackOffice {
    /// Sets lead `lead_id`'s sales status to `to` (any order is allowed) with an optional note,
    /// by the signed-in `actor`; returns the history row.
    ///
    /// # Errors
    /// [`StaffError::NoSuchLead`]; a database error.
    pub fn change_lead_status(
        &self,
        lead_id: i64,
        to: LeadSalesStatus,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<StatusChangeRow, StaffError> {
        let Some(staff_id) = actor.staff_id else {
            return Err(StaffError::Corrupt(
                "a lead's status is changed by a signed-in person".to_owned(),
            ));
        };
        let at = now_utc();
        self.uow.write(|tx| {
            let row = lead_status::change(
                tx,
                &StatusChange {
                    lead_id,
                    to,
                    staff_id,
                    note,
                    at,
                },
            )
            .map_err(|e| match e {
                PersistenceError::NotFound => StaffError::NoSuchLead,
                other => StaffError::Persistence(other),
            })?;
            let subject = format!("lead:{lead_id}");
            audit::write(
                tx,
                actor,
                at,
                Entry {
                    action: "lead.status",
                    subject: Some(&subject),
                    before: Some(json!({ "status": row.from_status })),
                    after: Some(json!({ "status": row.to_status, "note": note })),
                },
            )?;
            Ok(row)
        })
    }
}
