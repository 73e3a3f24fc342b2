//! `ops mail status | retry [--all]`: the e-mail outbox (docs/operations.md, "E-mail").

use chrono::Duration;
use serde::Serialize;
use wetech_persistence::{UnitOfWork, now_utc, outbox};
use wetech_runtime::Settings;

use crate::cli::MailCommand;
use crate::database::migrated_pool;
use crate::{Outcome, output};

/// Without `--all`, `ops mail retry` takes the failed messages queued this recently: an older
/// one (a welcome for a lead of last month) is probably better not sent any more.
pub(crate) const RETRY_RECENT_DAYS: i64 = 7;

#[derive(Serialize)]
struct Status {
    waiting: i64,
    failed: i64,
    sent: i64,
    /// Seconds the oldest waiting message has waited; `null` when none waits.
    oldest_waiting_secs: Option<i64>,
}

#[derive(Serialize)]
struct Retried {
    retried: usize,
    all: bool,
}

pub(crate) fn run(settings: &Settings, command: &MailCommand, json: bool) -> Outcome {
    let pool = migrated_pool(&settings.database.clone().with_pool_size(1))?;
    let uow = UnitOfWork::new(pool);
    match command {
        MailCommand::Status => {
            let s = outbox::status(&mut *uow.connection()?)?;
            let status = Status {
                waiting: s.waiting,
                failed: s.failed,
                sent: s.sent,
                oldest_waiting_secs: s
                    .oldest_waiting_since
                    .map(|t| (now_utc() - t).num_seconds().max(0)),
            };
            if json {
                return output::print_json(&status);
            }
            outln!("waiting: {}", status.waiting);
            outln!("failed:  {}", status.failed);
            outln!("sent:    {}", status.sent);
            match status.oldest_waiting_secs {
                Some(secs) => outln!(
                    "oldest waiting: {}",
                    output::duration(std::time::Duration::from_secs(secs.unsigned_abs()))
                ),
                None => outln!("oldest waiting: none"),
            }
            Ok(())
        }
        MailCommand::Retry { all } => {
            let now = now_utc();
            let since = (!all).then(|| now - Duration::days(RETRY_RECENT_DAYS));
            let retried = uow.write(|tx| outbox::retry_failed(tx, now, since))?;
            tracing::info!(retried, all = *all, "failed e-mails made to wait again");
            if json {
                return output::print_json(&Retried { retried, all: *all });
            }
            outln!("{retried} failed message(s) will be sent again");
            Ok(())
        }
    }
}
