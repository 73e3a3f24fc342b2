//! Only one instance registers the Pesapal IPN URL (docs/operations.md, "Several instances"):
//! when no id is configured or kept, every instance that needs one asks for the instance lease
//! `pesapal.register_ipn`; the one that wins looks the URL up or registers it and keeps the id,
//! and the others wait for that id. A winner that crashes loses the lease when it runs out.

use std::time::Duration;

use wetech_persistence::instance_leases;
use wetech_persistence::now_utc;
use wetech_persistence::repo::app_settings;

use crate::error::AppError;
use crate::payment::PESAPAL_IPN_ID_KEY;
use crate::usecases::UseCases;

/// The instance lease's name.
pub const IPN_REGISTRATION_LEASE: &str = "pesapal.register_ipn";
/// How long the winner holds the lease: longer than its few gateway calls may take.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// How often a waiting instance looks for the winner's id.
const POLL: Duration = Duration::from_millis(100);

impl UseCases {
    /// Gives the Pesapal client an IPN id other than the one it has now (none, or one Pesapal
    /// refused), registered by this instance or by the one holding the lease.
    pub(crate) async fn register_pesapal_ipn_once(&self) -> Result<(), AppError> {
        let Some(client) = self.gateways.pesapal.clone() else {
            return Err(AppError::GatewayDisabled("pesapal"));
        };
        let stale = client.ipn_id();
        let holder = uuid::Uuid::new_v4().to_string();
        loop {
            if let Some(id) = self.fresh_ipn_id(stale.as_deref()).await? {
                client.set_ipn_id(&id);
                return Ok(());
            }
            let me = holder.clone();
            let won = self
                .blocking(move |uow| {
                    let now = now_utc();
                    let mut conn = uow.connection()?;
                    Ok(instance_leases::try_claim(
                        &mut conn,
                        IPN_REGISTRATION_LEASE,
                        &me,
                        now,
                        now + LEASE,
                    )?)
                })
                .await?;
            if won {
                // Another instance may have kept an id between the look and the claim.
                let result = match self.fresh_ipn_id(stale.as_deref()).await? {
                    Some(id) => {
                        client.set_ipn_id(&id);
                        Ok(())
                    }
                    None => self.register_pesapal_ipn_again().await,
                };
                let me = holder.clone();
                let released = self
                    .blocking(move |uow| {
                        let mut conn = uow.connection()?;
                        Ok(instance_leases::release(
                            &mut conn,
                            IPN_REGISTRATION_LEASE,
                            &me,
                        )?)
                    })
                    .await;
                if let Err(e) = released {
                    tracing::warn!(error = %crate::error::chain(&e), "the IPN registration lease was not released; it lapses on its own");
                }
                return result;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The kept IPN id when it is not `stale`.
    async fn fresh_ipn_id(&self, stale: Option<&str>) -> Result<Option<String>, AppError> {
        let stale = stale.map(str::to_owned);
        self.blocking(move |uow| {
            let kept =
                uow.read(|c| app_settings::get(c, PESAPAL_IPN_ID_KEY).map_err(AppError::from))?;
            Ok(kept.filter(|id| Some(id) != stale.as_ref()))
        })
        .await
    }
}
