//! Off-site backups against a real S3-compatible server (moto, started by the test): upload,
//! list, retention, restore on a fresh machine, a refused key, a server gone mid-upload and a
//! damaged object.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wetech_test_db::{CutProxy, TEST_BUCKET, TestDb, TestS3};

use super::{Setup, last_line, text};

/// `[backup.remote]` for `prefix` on `endpoint`, with `secret` and `keep`.
fn with_remote(s: &Setup, s3: &TestS3, endpoint: &str, prefix: &str, secret: &str, keep: u32) {
    let mut config = std::fs::read_to_string(&s.config).unwrap();
    config.push_str(&format!(
        "\n[backup.remote]\nurl = \"s3://{TEST_BUCKET}/{prefix}\"\nendpoint = \"{endpoint}\"\n\
         access_key_id = \"{}\"\nsecret_access_key = \"{secret}\"\nkeep = {keep}\n",
        s3.access_key_id()
    ));
    std::fs::write(&s.config, config).unwrap();
}

fn remote_sqlite(s3: &TestS3, prefix: &str, keep: u32) -> Setup {
    let s = Setup::sqlite();
    with_remote(&s, s3, &s3.endpoint(), prefix, s3.secret_access_key(), keep);
    s
}

fn name_of(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn catalogue_len(s: &Setup) -> usize {
    s.json(&["catalog", "list"]).as_array().unwrap().len()
}

fn add_service(s: &Setup, code: &str) {
    s.ok(&[
        "catalog",
        "set",
        code,
        "--name",
        "Extra",
        "--price",
        "1000",
        "--currency",
        "TZS",
    ]);
}

#[test]
fn backup_uploads_lists_and_keeps_only_its_own_newest_names() {
    let Some(s3) = TestS3::start() else { return };
    let s = remote_sqlite(&s3, "site/prod", 2);
    s.ok(&["migrate"]);
    // Someone else's objects under the prefix, and one old backup of ours.
    let foreign = [
        "site/prod/notes.txt",
        "site/prod/wetech-latest.sqlite3",
        "site/prod/wetech-20200101T000000Z.sqlite3.bak",
        "site/prod/deeper/wetech-20200101T000000Z.sqlite3",
        "site/prod/pre-restore-20200101T000000Z.sqlite3",
        "site/other/wetech-20200101T000000Z.sqlite3",
        "wetech-20200101T000000Z.sqlite3",
    ];
    for key in foreign {
        s3.put(key, b"not ours to delete");
    }
    s3.put(
        "site/prod/wetech-20200101T000000Z.sqlite3",
        b"an old backup",
    );
    s3.put("site/prod/wetech-20200101T000000Z.sqlite3.sha256", b"x");

    let stdout = s.ok(&["backup"]);
    let first = last_line(&stdout).to_owned();
    assert!(Path::new(&first).is_file(), "{stdout}");
    let first_name = name_of(&first);
    assert!(
        stdout.contains(&format!(
            "uploaded to s3://{TEST_BUCKET}/site/prod/{first_name}"
        )),
        "{stdout}"
    );
    // What is stored is the backup, byte for byte, with its sha256sum line.
    let stored = s3.get(&format!("site/prod/{first_name}")).unwrap();
    assert_eq!(stored, std::fs::read(&first).unwrap());
    let sum =
        String::from_utf8(s3.get(&format!("site/prod/{first_name}.sha256")).unwrap()).unwrap();
    assert_eq!(
        sum,
        std::fs::read_to_string(format!("{first}.sha256")).unwrap()
    );

    let j = s.json(&["backup"]);
    let second_name = name_of(j["path"].as_str().unwrap());
    assert_eq!(j["remote"]["size_bytes"], j["size_bytes"]);
    assert_eq!(j["remote"]["sha256"], j["sha256"]);
    assert!(j["remote"]["upload_ms"].is_u64() && j["remote"]["check_ms"].is_u64());
    // keep = 2: the old one went (with its .sha256) to make room.
    assert_eq!(
        j["remote"]["removed"],
        serde_json::json!([format!(
            "s3://{TEST_BUCKET}/site/prod/wetech-20200101T000000Z.sqlite3"
        )])
    );
    let third = s.json(&["backup"]);
    let third_name = name_of(third["path"].as_str().unwrap());

    let mut expected: Vec<String> = foreign.iter().map(|k| (*k).to_owned()).collect();
    for name in [&second_name, &third_name] {
        expected.push(format!("site/prod/{name}"));
        expected.push(format!("site/prod/{name}.sha256"));
    }
    expected.sort();
    assert_eq!(s3.keys(""), expected);

    // ops backup list --remote: our two, newest first, both checked.
    let listed = s.json(&["backup", "list", "--remote"]);
    let listed: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap(),
                b["checksum"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![(third_name.as_str(), true), (second_name.as_str(), true)]
    );
    let human = s.ok(&["backup", "list", "--remote"]);
    assert!(
        human.contains("2 backup(s) in s3://wetech-test/site/prod"),
        "{human}"
    );
    // And the local list: the three local ones (backup.keep = 3).
    let local = s.json(&["backup", "list"]);
    assert_eq!(local.as_array().unwrap().len(), 3, "{local}");
}

#[test]
fn restore_from_the_remote_on_a_fresh_machine_sqlite() {
    let Some(s3) = TestS3::start() else { return };
    let site = remote_sqlite(&s3, "wetech", 5);
    site.ok(&["migrate"]);
    add_service(&site, "EXTRA-ONE");
    let name = name_of(last_line(&site.ok(&["backup"])));

    // A new machine: no database, no backups, the same bucket.
    let fresh = remote_sqlite(&s3, "wetech", 5);
    let refused = fresh.ops(&["restore", &name, "--remote"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("downloads"),
        "{}",
        text(&refused.stderr)
    );
    let stdout = fresh.ok(&["restore", &name, "--remote", "--yes"]);
    assert!(
        stdout.contains(&format!("restored s3://{TEST_BUCKET}/wetech/{name}")),
        "{stdout}"
    );
    assert_eq!(catalogue_len(&fresh), 4);
    // The download is kept as a local backup, with its checksum, and verifies.
    let local = fresh.path("backups").join(&name);
    let v = fresh.json(&["backup", "verify", local.to_str().unwrap()]);
    assert_eq!(v["checksum_verified"], true);

    // Not a backup name, or a name the bucket does not have: exit 1, nothing touched.
    for (bad, says) in [
        ("../etc/passwd", "not the name of a wetech backup"),
        ("wetech-20000101T000000Z.sqlite3", "there is no backup"),
    ] {
        let out = fresh.ops(&["restore", bad, "--remote", "--yes"]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(
            text(&out.stderr).contains(says),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(catalogue_len(&fresh), 4);
}

#[test]
fn restore_from_the_remote_postgres() {
    let Some(s3) = TestS3::start() else { return };
    let Some(db) = TestDb::postgres() else { return };
    let s = Setup::with_url(tempfile::tempdir().unwrap(), db.url());
    with_remote(&s, &s3, &s3.endpoint(), "pg", s3.secret_access_key(), 3);
    s.ok(&["migrate"]);
    let path = last_line(&s.ok(&["backup"])).to_owned();
    assert!(path.ends_with(".pgdump"), "{path}");
    let name = name_of(&path);
    assert!(s3.get(&format!("pg/{name}")).is_some());
    add_service(&s, "EXTRA-PG");
    assert_eq!(catalogue_len(&s), 4);
    // Restore from the bucket alone: the local copy is gone.
    std::fs::remove_dir_all(s.path("backups")).unwrap();
    let r = s.json(&["restore", &name, "--remote", "--yes"]);
    assert!(
        r["pre_restore_backup"]
            .as_str()
            .unwrap()
            .ends_with(".pgdump")
    );
    assert_eq!(catalogue_len(&s), 3);
}

#[test]
fn a_refused_key_fails_with_1_and_keeps_the_local_backup() {
    let Some(s3) = TestS3::start() else { return };
    let s = Setup::sqlite();
    let wrong = "wrong-secret-Zq9x7Lw2";
    with_remote(&s, &s3, &s3.endpoint(), "keys", wrong, 3);
    s.ok(&["migrate"]);
    let out = s.ops(&["backup"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is kept locally, but its upload to"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(wrong) && !stderr.contains(s3.secret_access_key()),
        "{stderr}"
    );
    let local = PathBuf::from(last_line(&text(&out.stdout)));
    assert!(local.is_file(), "{}", text(&out.stdout));
    s.ok(&["backup", "verify", local.to_str().unwrap()]);
    assert!(s3.keys("keys/").is_empty());
    // The failure is logged, without the secret either.
    let errors = std::fs::read_to_string(s.path("logs/errors.log")).unwrap();
    assert!(
        errors.contains("kept locally") && !errors.contains(wrong),
        "{errors}"
    );
}

#[test]
fn a_server_gone_mid_upload_leaves_no_object_under_the_final_name() {
    let Some(s3) = TestS3::start() else { return };
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    // About 40 MiB of rows of our own, so the upload has three 16 MiB parts.
    let db = s.path("data/wetech.sqlite3");
    let filled = Command::new("sqlite3")
        .arg(&db)
        .arg(
            "CREATE TABLE ballast(b BLOB); WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL \
             SELECT x + 1 FROM n WHERE x < 40) INSERT INTO ballast SELECT randomblob(1048576) FROM n;",
        )
        .status()
        .unwrap();
    assert!(filled.success());
    let proxy = CutProxy::start(s3.port(), 20 << 20);
    with_remote(
        &s,
        &s3,
        &format!("http://127.0.0.1:{}", proxy.port()),
        "cut",
        s3.secret_access_key(),
        3,
    );
    let out = s.ops(&["backup"]);
    assert!(
        proxy.has_cut(),
        "the proxy never cut ({} bytes)",
        proxy.bytes_sent()
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is kept locally, but its upload to"),
        "{stderr}"
    );
    let local = PathBuf::from(last_line(&text(&out.stdout)));
    s.ok(&["backup", "verify", local.to_str().unwrap()]);
    // The server is still there: it holds nothing under the backup's name.
    assert!(s3.keys("cut/").is_empty(), "{:?}", s3.keys("cut/"));
}

#[test]
fn a_damaged_remote_object_is_refused_at_restore() {
    let Some(s3) = TestS3::start() else { return };
    let s = remote_sqlite(&s3, "damaged", 3);
    s.ok(&["migrate"]);
    let path = last_line(&s.ok(&["backup"])).to_owned();
    let name = name_of(&path);
    add_service(&s, "EXTRA-TWO");
    // One byte changed in the bucket, size unchanged.
    let key = format!("damaged/{name}");
    let mut bytes = s3.get(&key).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    s3.put(&key, &bytes);
    let before: Vec<String> = dir_names(&s.path("backups"));

    let out = s.ops(&["restore", &name, "--remote", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the stored object is damaged"), "{stderr}");
    assert!(stderr.contains("the database was not touched"), "{stderr}");
    assert_eq!(catalogue_len(&s), 4, "nothing was restored");
    // The local backup of that name is untouched and no download is left behind.
    assert_eq!(dir_names(&s.path("backups")), before);
    s.ok(&["backup", "verify", &path]);

    // Without its .sha256 (an upload never checked) a backup is refused too.
    let lonely = "wetech-20200101T000000Z.sqlite3";
    s3.put(&format!("damaged/{lonely}"), &std::fs::read(&path).unwrap());
    let out = s.ops(&["restore", lonely, "--remote", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(".sha256 is missing"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(catalogue_len(&s), 4);
}

#[test]
fn a_remote_without_its_key_is_refused_at_start() {
    let s = Setup::sqlite();
    let mut config = std::fs::read_to_string(&s.config).unwrap();
    config.push_str("\n[backup.remote]\nurl = \"s3://wetech-test/x\"\n");
    std::fs::write(&s.config, config).unwrap();
    let out = s.ops(&["backup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("backup.remote.access_key_id"),
        "{}",
        text(&out.stderr)
    );
    let out = s.ops(&["backup", "list", "--remote"]);
    assert_eq!(out.status.code(), Some(1));
    // No remote at all: list --remote says how to set one up.
    let plain = Setup::sqlite();
    let out = plain.ops(&["backup", "list", "--remote"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("backup.remote.url"),
        "{}",
        text(&out.stderr)
    );
    let _: Value = plain.json(&["backup", "list"]);
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// The environment form of every `backup.remote` key, as a systemd `EnvironmentFile=` gives it.
#[test]
fn the_remote_is_configured_from_the_environment() {
    let Some(s3) = TestS3::start() else { return };
    s3.put("env/wetech-20260101T000000Z.pgdump", b"x");
    let logs = tempfile::tempdir().unwrap();
    let endpoint = s3.endpoint();
    let env = |secret: &str| {
        vec![
            ("WETECH__LOG__DIR", logs.path().to_str().unwrap().to_owned()),
            (
                "WETECH__BACKUP__REMOTE__URL",
                format!("s3://{TEST_BUCKET}/env"),
            ),
            ("WETECH__BACKUP__REMOTE__ENDPOINT", endpoint.clone()),
            ("WETECH__BACKUP__REMOTE__REGION", "us-east-1".to_owned()),
            (
                "WETECH__BACKUP__REMOTE__ACCESS_KEY_ID",
                s3.access_key_id().to_owned(),
            ),
            (
                "WETECH__BACKUP__REMOTE__SECRET_ACCESS_KEY",
                secret.to_owned(),
            ),
            ("WETECH__BACKUP__REMOTE__KEEP", "7".to_owned()),
        ]
    };
    let run = |secret: &str| {
        let vars = env(secret);
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        super::ops_env(&["--json", "backup", "list", "--remote"], &pairs)
    };
    let out = run(s3.secret_access_key());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["name"], "wetech-20260101T000000Z.pgdump");
    assert_eq!(listed[0]["checksum"], false);
    let out = run("not-the-secret");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !text(&out.stderr).contains("not-the-secret"),
        "{}",
        text(&out.stderr)
    );
}
