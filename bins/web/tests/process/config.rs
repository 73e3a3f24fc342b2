//! The binary refuses to start on a bad configuration: non-zero exit, a message on stderr naming
//! the key, no secret value repeated, and nothing created in the working directory.

use crate::helpers::run_to_exit;

/// A production secret key of 40 bytes.
const GOOD_KEY: &str = "0123456789abcdef0123456789abcdef-prod-ok";

/// Production behind a trusted proxy with Pesapal sandbox credentials (whose host is a port
/// nothing listens on): acceptable unless `extra` spoils it.
fn production(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![
        ("WETECH__ENVIRONMENT", "production"),
        ("WETECH__SERVER__SECRET_KEY", GOOD_KEY),
        ("WETECH__SERVER__TRUST_PROXY", "true"),
        (
            "WETECH__PAYMENTS__PESAPAL__BASE_URL",
            "http://127.0.0.1:9/pesapalv3",
        ),
        ("WETECH__PAYMENTS__MODE", "sandbox"),
        (
            "WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY",
            "S3CR3T-refusal-consumer-key",
        ),
        (
            "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET",
            "S3CR3T-refusal-consumer-secret",
        ),
    ];
    for (key, value) in extra {
        env.retain(|(k, _)| k != key);
        if !value.is_empty() {
            env.push((key, value));
        }
    }
    env
}

/// Runs the binary with `env`, asserts it refused to start, and returns its stderr.
async fn refused(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = run_to_exit(dir.path(), env).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !out.status.success(),
        "started with {env:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        out.status.code().is_some_and(|c| c != 0),
        "exits with a code, not a signal: {:?}",
        out.status
    );
    assert!(
        !stdout.contains("listening"),
        "refused before listening: {stdout}"
    );
    // Refused before touching anything: no database, no log directory, no media directory.
    let created: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(created.is_empty(), "created {created:?}");
    // No secret value is echoed back.
    for (key, value) in env {
        if key.contains("SECRET") || key.contains("CONSUMER_KEY") || key.contains("CLIENT_ID") {
            assert!(
                !stderr.contains(value) && !stdout.contains(value),
                "{key} leaked: {stderr}"
            );
        }
    }
    stderr
}

fn assert_names(stderr: &str, key: &str) {
    assert!(
        stderr.contains(key),
        "the message must name `{key}`: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_the_development_secret_key() {
    // Not set at all: the built-in development key would be used.
    let stderr = refused(&production(&[("WETECH__SERVER__SECRET_KEY", "")])).await;
    assert_names(&stderr, "server.secret_key");
    // Set explicitly to the development value.
    let stderr = refused(&production(&[(
        "WETECH__SERVER__SECRET_KEY",
        wetech_runtime::DEVELOPMENT_SECRET_KEY,
    )]))
    .await;
    assert_names(&stderr, "server.secret_key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_a_short_secret_key() {
    // 31 bytes: one short of the minimum.
    let short = "S3CR3T-short-key-0123456789abcd";
    assert_eq!(short.len(), 31);
    let stderr = refused(&production(&[("WETECH__SERVER__SECRET_KEY", short)])).await;
    assert_names(&stderr, "server.secret_key");
    assert!(!stderr.contains(short), "the key itself is not printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_simulator_mode() {
    let stderr = refused(&production(&[("WETECH__PAYMENTS__MODE", "simulator")])).await;
    assert_names(&stderr, "payments.mode");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_missing_gateway_credentials() {
    // Live mode (the production default) with no gateway credentials at all.
    let none = production(&[
        ("WETECH__PAYMENTS__MODE", ""),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", ""),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", ""),
    ]);
    assert_names(&refused(&none).await, "payments.pesapal.consumer_key");
    // Pesapal half configured, AzamPay unset.
    let half = production(&[
        ("WETECH__PAYMENTS__MODE", "live"),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", ""),
    ]);
    assert_names(&refused(&half).await, "payments.pesapal.consumer_secret");
    // AzamPay enabled without its secret.
    let azampay = production(&[
        ("WETECH__PAYMENTS__MODE", "live"),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", ""),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", ""),
        ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech"),
        (
            "WETECH__PAYMENTS__AZAMPAY__CLIENT_ID",
            "S3CR3T-refusal-client-id",
        ),
    ]);
    assert_names(&refused(&azampay).await, "payments.azampay.client_secret");
    // AzamPay complete except the callback token.
    let no_token = production(&[
        ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech"),
        (
            "WETECH__PAYMENTS__AZAMPAY__CLIENT_ID",
            "S3CR3T-refusal-client-id",
        ),
        (
            "WETECH__PAYMENTS__AZAMPAY__CLIENT_SECRET",
            "S3CR3T-refusal-client-secret",
        ),
    ]);
    assert_names(&refused(&no_token).await, "payments.azampay.callback_token");
}

/// This server speaks plain HTTP and learns that a request came over HTTPS only from a trusted
/// proxy: production without `server.trust_proxy` would redirect every page to HTTPS forever, so
/// it refuses to start, naming both keys (docs/configuration.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_refuses_to_start_without_a_trusted_proxy() {
    for trust_proxy in ["", "false"] {
        let stderr = refused(&production(&[("WETECH__SERVER__TRUST_PROXY", trust_proxy)])).await;
        assert_names(&stderr, "server.trust_proxy");
        assert_names(&stderr, "environment");
        assert!(stderr.contains("redirect"), "says why: {stderr}");
    }
}

/// The acceptable production setup the refusals above spoil does start and serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_behind_a_trusted_proxy_starts() {
    let dir = tempfile::tempdir().unwrap();
    let web = crate::helpers::Web::start(dir.path(), &production(&[])).await;
    let live = web.get("/health/live").await;
    assert_eq!(live.status(), 200);
    let stopped = web.terminate().await;
    assert!(stopped.status.success(), "{}", stopped.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_values_are_named() {
    for (var, value, key) in [
        ("WETECH__SERVER__PORT", "notaport", "server.port"),
        ("WETECH__SERVER__PORT", "70000", "server.port"),
        (
            "WETECH__HEALTH__MIN_FREE_DISK_PERCENT",
            "abc",
            "health.min_free_disk_percent",
        ),
        (
            "WETECH__HEALTH__MIN_FREE_DISK_PERCENT",
            "150",
            "health.min_free_disk_percent",
        ),
        ("WETECH__ENVIRONMENT", "staging", "environment"),
        ("WETECH__PAYMENTS__MODE", "prod", "payments.mode"),
        ("WETECH__DATABASE__URL", "mysql://root@db/x", "database.url"),
        ("WETECH__LOG__LEVEL", "loud", "log.level"),
        (
            "WETECH__OBSERVABILITY__SLOW_REQUEST_MS",
            "0",
            "observability.slow_request_ms",
        ),
    ] {
        let stderr = refused(&[(var, value)]).await;
        assert!(
            stderr.contains(key),
            "{var}={value}: must name `{key}`: {stderr}"
        );
    }
}
