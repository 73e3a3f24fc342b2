//! `ops config show [--json]`: every key with its effective value and its layer, no secret
//! value anywhere in the output, bad usage exit 2.

use serde_json::Value;

use crate::ops_env;

/// Recognisable values for every secret the configuration has.
const SECRETS: [(&str, &str); 10] = [
    (
        "WETECH__SERVER__SECRET_KEY",
        "S3CR3T-server-key-0123456789abcdef",
    ),
    (
        "WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY",
        "S3CR3T-pesapal-key",
    ),
    (
        "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET",
        "S3CR3T-pesapal-secret",
    ),
    ("WETECH__PAYMENTS__AZAMPAY__CLIENT_ID", "S3CR3T-azampay-id"),
    (
        "WETECH__PAYMENTS__AZAMPAY__CLIENT_SECRET",
        "S3CR3T-azampay-secret",
    ),
    (
        "WETECH__PAYMENTS__AZAMPAY__API_KEY",
        "S3CR3T-azampay-api-key",
    ),
    (
        "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN",
        "S3CR3T-azampay-callback-token",
    ),
    (
        "WETECH__BACKUP__REMOTE__SECRET_ACCESS_KEY",
        "S3CR3T-remote-key",
    ),
    ("WETECH__MAIL__SMTP__PASSWORD", "S3CR3T-smtp-password"),
    (
        "WETECH__DATABASE__URL",
        "postgres://app:S3CR3T-db-password@db.internal/wetech",
    ),
];

#[test]
fn config_show_names_each_layer_and_redacts_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wetech.toml");
    std::fs::write(&file, "[server]\nhost = \"0.0.0.0\"\nport = 9000\n").unwrap();
    let config = file.display().to_string();
    let mut env: Vec<(&str, &str)> = SECRETS.to_vec();
    env.push(("WETECH__SERVER__PORT", "9100"));
    env.push(("WETECH__MAIL__SMTP__USERNAME", "mailer"));
    env.push(("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech"));
    for json in [true, false] {
        let mut args = vec!["--config", config.as_str(), "config", "show"];
        if json {
            args.push("--json");
        }
        let out = ops_env(&args, &env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            !stdout.contains("S3CR3T") && !stderr.contains("S3CR3T"),
            "{stdout}{stderr}"
        );
        if !json {
            assert!(stdout.contains("server.port"), "{stdout}");
            continue;
        }
        let v: Value = serde_json::from_str(&stdout).unwrap();
        let key = |k: &str| {
            v["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["key"] == k)
                .unwrap_or_else(|| panic!("{k} missing: {v}"))
                .clone()
        };
        assert_eq!(key("server.port")["value"], "9100");
        assert_eq!(key("server.port")["source"], "environment");
        assert_eq!(key("server.host")["value"], "0.0.0.0");
        assert_eq!(key("server.host")["source"], "file");
        assert_eq!(key("backup.keep")["value"], "30");
        assert_eq!(key("backup.keep")["source"], "default");
        assert_eq!(key("server.rate_limit_store")["value"], "database");
        for (name, _) in SECRETS {
            let dotted = name
                .trim_start_matches("WETECH__")
                .split("__")
                .collect::<Vec<_>>()
                .join(".")
                .to_lowercase();
            let entry = key(&dotted);
            assert_eq!(entry["value"], "[redacted]", "{entry}");
            assert_eq!(entry["secret"], true, "{entry}");
            assert_eq!(entry["source"], "environment", "{entry}");
        }
    }
}

#[test]
fn config_show_bad_usage_is_2() {
    for bad in [
        &["config"][..],
        &["config", "show", "extra"],
        &["config", "shw"],
    ] {
        let out = ops_env(bad, &[]);
        assert_eq!(out.status.code(), Some(2), "ops {bad:?}");
    }
}
