//! Where each configuration value came from: the built-in default, the TOML file or a
//! `WETECH__…` environment variable (the later layer wins, as in [`crate::Settings::load`]).
//! `ops config show` prints it beside each value, and `web` uses it to tell a `server.public_url`
//! left at its default from one set on purpose.

use std::collections::BTreeSet;

/// The layer a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing set it: the built-in default (or a default that follows another value).
    Default,
    /// The configuration file (`--config FILE` or `WETECH_CONFIG`).
    File,
    /// A `WETECH__SECTION__KEY` environment variable.
    Environment,
}

impl Source {
    /// `"default"`, `"file"` or `"environment"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "file",
            Source::Environment => "environment",
        }
    }
}

/// The dotted keys each layer set.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    file: BTreeSet<String>,
    environment: BTreeSet<String>,
}

impl Provenance {
    /// The keys of a parsed file layer and of the `WETECH__…` variable names.
    pub(crate) fn new<'a>(
        file: Option<config::Map<String, config::Value>>,
        variables: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        let mut keys = BTreeSet::new();
        if let Some(table) = file {
            flatten("", table, &mut keys);
        }
        Self {
            file: keys,
            environment: variables
                .into_iter()
                .filter_map(|name| env_key(name))
                .collect(),
        }
    }

    /// Where the value of the dotted `key` (e.g. `server.port`) came from.
    #[must_use]
    pub fn source(&self, key: &str) -> Source {
        if self.environment.contains(key) {
            Source::Environment
        } else if self.file.contains(key) {
            Source::File
        } else {
            Source::Default
        }
    }
}

/// `WETECH__SERVER__PUBLIC_URL` → `server.public_url` (the loader lower-cases names too).
fn env_key(name: &str) -> Option<String> {
    let rest = name.strip_prefix("WETECH__")?;
    Some(
        rest.split("__")
            .collect::<Vec<_>>()
            .join(".")
            .to_lowercase(),
    )
}

fn flatten(prefix: &str, table: config::Map<String, config::Value>, out: &mut BTreeSet<String>) {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match value.kind {
            config::ValueKind::Table(inner) => flatten(&key, inner, out),
            _ => {
                out.insert(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_beats_the_file_and_the_file_the_default() {
        let file = config::Source::collect(&config::File::from_str(
            "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[payments.pesapal]\nipn_id = \"x\"\n",
            config::FileFormat::Toml,
        ))
        .unwrap();
        let vars = ["WETECH__SERVER__PORT".to_owned()];
        let p = Provenance::new(Some(file), &vars);
        assert_eq!(p.source("server.port"), Source::Environment);
        assert_eq!(p.source("server.host"), Source::File);
        assert_eq!(p.source("payments.pesapal.ipn_id"), Source::File);
        assert_eq!(p.source("server.public_url"), Source::Default);
    }
}
