//! `ops config show [--json]`: the effective configuration, every secret redacted, with the
//! layer each value came from (docs/operations.md, "Configuration in force").

use serde::Serialize;
use wetech_runtime::Settings;

use crate::{Outcome, output};

#[derive(Serialize)]
struct Key {
    key: &'static str,
    value: Option<String>,
    secret: bool,
    source: &'static str,
}

pub(crate) fn show(settings: &Settings, json: bool) -> Outcome {
    let keys: Vec<Key> = settings
        .effective()
        .into_iter()
        .map(|e| Key {
            key: e.key,
            value: e.value,
            secret: e.secret,
            source: e.source.as_str(),
        })
        .collect();
    if json {
        return output::print_json(&serde_json::json!({ "keys": keys }));
    }
    let width = keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
    for k in &keys {
        outln!(
            "{:width$} = {:<40} ({})",
            k.key,
            k.value.as_deref().unwrap_or("(unset)"),
            k.source
        );
    }
    Ok(())
}
