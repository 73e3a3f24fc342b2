//! `ops staff`: accounts made, listed, disabled and given new passwords through the real binary,
//! passwords only ever on standard input, and hostile input refused with the right status.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use super::{Setup, text};

impl Setup {
    /// Runs `ops` with `stdin` on its standard input.
    fn ops_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ops"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("WETECH") || k == "RUST_LOG" {
                c.env_remove(k);
            }
        }
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        // ops stops reading a huge line early; a closed pipe is expected then.
        let _ = input.write_all(stdin);
        drop(input);
        child.wait_with_output().unwrap()
    }
}

fn migrated() -> Setup {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    s
}

#[test]
fn staff_accounts_are_added_listed_disabled_and_given_new_passwords() {
    let s = migrated();
    let out = s.ops_with_stdin(
        &[
            "staff",
            "add",
            "Neema@example.com",
            "--name",
            "Neema Mushi",
            "--role",
            "admin",
        ],
        b"correct horse battery staple\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("added admin Neema@example.com"),
        "{}",
        text(&out.stdout)
    );
    // No --role: staff. A last line without a line end is taken as it is.
    let out = s.ops_with_stdin(
        &["staff", "add", "juma@example.com", "--name", "Juma"],
        b"another long passphrase",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let list = s.json(&["staff", "list"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["email"], "Neema@example.com");
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[1]["role"], "staff");
    assert!(list[1]["disabled_at"].is_null());
    let all = serde_json::to_string(list).unwrap();
    assert!(
        !all.contains("argon2") && !all.contains("hash") && !all.contains("passphrase"),
        "{all}"
    );
    let human = s.ok(&["staff", "list"]);
    assert!(
        human.contains("juma@example.com") && human.contains("active"),
        "{human}"
    );

    // The same address in another letter case is a duplicate: exit 1.
    let out = s.ops_with_stdin(
        &["staff", "add", "NEEMA@example.com", "--name", "X"],
        b"correct horse battery staple\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );

    let out = s.ops_with_stdin(
        &["staff", "set-password", "juma@example.com"],
        b"a different passphrase\r\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ended 0 session(s)"));

    assert!(
        s.ok(&["staff", "disable", "juma@example.com"])
            .contains("disabled juma@example.com")
    );
    assert!(
        s.ok(&["staff", "disable", "juma@example.com"])
            .contains("already disabled")
    );
    let list = s.json(&["staff", "list"]);
    assert!(!list[1]["disabled_at"].is_null());

    for args in [
        &["staff", "disable", "nobody@example.com"][..],
        &["staff", "set-password", "nobody@example.com"],
    ] {
        let out = s.ops_with_stdin(args, b"correct horse battery staple\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            text(&out.stderr).contains("no staff account"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn hostile_input_is_refused_with_the_right_status_and_nothing_is_written() {
    let s = migrated();
    let add = ["staff", "add", "amina@example.com", "--name", "Amina"];
    let huge = "x".repeat(100_000) + "\n";
    let cases: &[(&[u8], &str)] = &[
        (b"", "no password on standard input"),
        (b"\n", "at least 12"),
        (b"short\n", "it has 5 characters; at least 12"),
        ("ñññññññññññ\n".as_bytes(), "it has 11 characters"),
        (huge.as_bytes(), "longer than 1024"),
        (b"first line is long\nsecond line\n", "more than one line"),
        (b"\xff\xfe not utf-8 at all\n", "not UTF-8"),
    ];
    for (stdin, expected) in cases {
        let out = s.ops_with_stdin(&add, stdin);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{expected}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(expected),
            "{expected}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("xxxxxxxx"),
            "the password is never echoed"
        );
    }
    let usage: &[&[&str]] = &[
        &["staff", "add", "not-an-address", "--name", "A"],
        &[
            "staff",
            "add",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "root",
        ],
        &["staff", "add", "a@example.com"],
        &[
            "staff",
            "add",
            "a@example.com",
            "--name",
            "A",
            "--password",
            "correct horse battery",
        ],
        &["staff", "disable"],
        &["staff", "set-password", "bad address"],
        &["staff", "frobnicate"],
    ];
    for args in usage {
        let out = s.ops_with_stdin(args, b"correct horse battery staple\n");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(s.json(&["staff", "list"]), serde_json::json!([]));
}
