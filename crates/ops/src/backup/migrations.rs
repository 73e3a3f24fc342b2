//! The schema version of a backup: its recorded migration versions against this build's.

use std::path::Path;

use super::BackupError;

/// Maps the versions recorded in a backup to this build's migration names. Returns (applied
/// names, pending names). Refuses a backup without migrations or with a version this build does
/// not know (it was made by a newer release) — unless not `strict`, where unknown versions are
/// listed as they are.
pub(crate) fn match_migrations(
    file: &Path,
    versions: &[String],
    known: &[String],
    strict: bool,
) -> Result<(Vec<String>, Vec<String>), BackupError> {
    if versions.is_empty() && strict {
        return Err(BackupError::unsound(
            file,
            "it records no applied migration (not a wetech database)",
        ));
    }
    let mut applied = Vec::new();
    let mut unknown = Vec::new();
    let mut sorted = versions.to_vec();
    sorted.sort();
    sorted.dedup();
    for v in &sorted {
        match known
            .iter()
            .find(|name| wetech_persistence::migration_version(name) == *v)
        {
            Some(name) => applied.push(name.clone()),
            None if strict => unknown.push(v.clone()),
            None => applied.push(v.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(BackupError::unsound(
            file,
            format!(
                "it records migration(s) {} that this build does not have (made by a newer release?)",
                unknown.join(", ")
            ),
        ));
    }
    let pending = known
        .iter()
        .filter(|n| !applied.contains(n))
        .cloned()
        .collect();
    Ok((applied, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_matched_by_version() {
        let known = vec![
            "2026-11-29-000001_initial".to_owned(),
            "2026-12-01-000002_more".to_owned(),
        ];
        let f = Path::new("f");
        let (applied, pending) =
            match_migrations(f, &["20261129000001".to_owned()], &known, true).unwrap();
        assert_eq!(applied, vec!["2026-11-29-000001_initial"]);
        assert_eq!(pending, vec!["2026-12-01-000002_more"]);
        assert!(match_migrations(f, &[], &known, true).is_err());
        let e = match_migrations(f, &["20991231000009".to_owned()], &known, true).unwrap_err();
        assert!(e.to_string().contains("20991231000009"), "{e}");
        // The copy kept before a restore accepts whatever the database held.
        let (applied, pending) =
            match_migrations(f, &["20991231000009".to_owned()], &known, false).unwrap();
        assert_eq!(applied, vec!["20991231000009"]);
        assert_eq!(pending.len(), 2);
        assert!(match_migrations(f, &[], &known, false).is_ok());
    }
}
