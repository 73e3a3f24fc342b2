//! Listing the remote's backups and deleting the oldest of them.

use std::collections::BTreeSet;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore as _, ObjectStoreExt as _};

use super::{Remote, RemoteError};
use crate::backup::BackupKind;
use crate::backup::list::ListedBackup;
use crate::backup::names::{BackupName, CHECKSUM_SUFFIX};

impl Remote {
    /// The backups directly under the prefix whose names `ops backup` writes, newest first.
    /// Objects deeper under the prefix and every other name are left out.
    ///
    /// # Errors
    /// The listing request failed.
    pub fn list(&self) -> Result<Vec<ListedBackup>, RemoteError> {
        self.runtime.block_on(self.list_async())
    }

    async fn list_async(&self) -> Result<Vec<ListedBackup>, RemoteError> {
        let prefix = (!self.location.prefix.is_empty())
            .then(|| ObjectPath::from(self.location.prefix.as_str()));
        let listing = self
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(RemoteError::store(format!("cannot list {}", self.location)))?;
        let names: BTreeSet<String> = listing
            .objects
            .iter()
            .filter_map(|o| o.location.filename().map(str::to_owned))
            .collect();
        let mut out: Vec<ListedBackup> = listing
            .objects
            .iter()
            .filter_map(|object| {
                let name = object.location.filename()?;
                let parsed = BackupName::parse(name)?;
                Some(ListedBackup {
                    name: name.to_owned(),
                    kind: parsed.kind,
                    taken_at: parsed.taken_at,
                    size_bytes: object.size,
                    checksum: names.contains(&format!("{name}{CHECKSUM_SUFFIX}")),
                    parsed,
                })
            })
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.parsed));
        Ok(out)
    }

    /// Deletes the oldest remote backups of `kind` so that `keep` remain, never `protect` (the
    /// one just uploaded counts as one of the `keep`); a deleted backup's `.sha256` goes with
    /// it. Only names [`BackupName::parse`] accepts are considered. Returns the deleted URLs.
    ///
    /// # Errors
    /// The listing failed, or some deletions did (the others are still tried).
    pub fn prune(
        &self,
        kind: BackupKind,
        keep: usize,
        protect: &str,
    ) -> Result<Vec<String>, RemoteError> {
        let own = self.list()?;
        let old: Vec<&ListedBackup> = own
            .iter()
            .filter(|b| b.kind == kind && b.name != protect)
            .skip(keep.saturating_sub(1))
            .collect();
        self.runtime.block_on(async {
            let mut removed = Vec::new();
            let mut failures = Vec::new();
            for backup in old {
                let url = self.url_of(&backup.name);
                match self.store.delete(&self.key(&backup.name)).await {
                    Ok(()) => {
                        let sum = format!("{}{CHECKSUM_SUFFIX}", backup.name);
                        if let Err(e) = self.store.delete(&self.key(&sum)).await {
                            failures.push(format!("{url}{CHECKSUM_SUFFIX}: {e}"));
                        }
                        tracing::info!(url = %url, "old remote backup deleted");
                        removed.push(url);
                    }
                    Err(e) => failures.push(format!("{url}: {e}")),
                }
            }
            if failures.is_empty() {
                Ok(removed)
            } else {
                Err(RemoteError::Retention(failures))
            }
        })
    }
}
