//! `ops staff add | list | disable | set-password`: the back office's accounts
//! (docs/back-office.md). Passwords come from standard input, one line, never from an argument.

use std::io::{IsTerminal as _, Read};

use secrecy::SecretString;
use serde::Serialize;
use wetech_app::backoffice::{
    Actor, BackOffice, MAX_PASSWORD_CHARS, NewPassword, NewStaffAccount, StaffAccount,
};
use wetech_domain::{EmailAddress, PersonName, StaffRole};
use wetech_persistence::UnitOfWork;
use wetech_runtime::Settings;

use crate::cli::{RoleArg, StaffCommand};
use crate::database::migrated_pool;
use crate::output;
use crate::{Failure, Outcome};

/// A staff command with its arguments parsed.
#[derive(Debug)]
pub(crate) enum StaffRequest {
    Add {
        email: EmailAddress,
        name: PersonName,
        role: StaffRole,
    },
    List,
    Disable {
        email: EmailAddress,
    },
    SetPassword {
        email: EmailAddress,
    },
}

fn email(text: &str) -> Result<EmailAddress, Failure> {
    EmailAddress::parse(text)
        .map_err(|e| Failure::Usage(format!("invalid e-mail address {text:?}: {e}")))
}

impl StaffRequest {
    /// Parses addresses and names; anything malformed is a usage error (exit 2).
    pub(crate) fn parse(command: &StaffCommand) -> Result<StaffRequest, Failure> {
        Ok(match command {
            StaffCommand::Add {
                email: e,
                name,
                role,
            } => StaffRequest::Add {
                email: email(e)?,
                name: PersonName::parse(name)
                    .map_err(|e| Failure::Usage(format!("invalid --name: {e}")))?,
                role: match role {
                    RoleArg::Staff => StaffRole::Staff,
                    RoleArg::Admin => StaffRole::Admin,
                },
            },
            StaffCommand::List => StaffRequest::List,
            StaffCommand::Disable { email: e } => StaffRequest::Disable { email: email(e)? },
            StaffCommand::SetPassword { email: e } => {
                StaffRequest::SetPassword { email: email(e)? }
            }
        })
    }

    fn email(&self) -> Option<&EmailAddress> {
        match self {
            StaffRequest::Add { email, .. }
            | StaffRequest::Disable { email }
            | StaffRequest::SetPassword { email } => Some(email),
            StaffRequest::List => None,
        }
    }
}

/// The most bytes read from standard input: the longest password in the widest UTF-8, a line
/// end, and one byte more to tell a longer line.
const MAX_INPUT: u64 = (MAX_PASSWORD_CHARS as u64) * 4 + 3;

/// The new password of `add` and `set-password`, read from `input`; `None` for the others.
pub(crate) fn password_for(
    request: &StaffRequest,
    input: impl Read,
) -> Result<Option<NewPassword>, Failure> {
    let (StaffRequest::Add { email, .. } | StaffRequest::SetPassword { email }) = request else {
        return Ok(None);
    };
    if std::io::stdin().is_terminal() {
        errln!("password for {email} (one line; it is shown as typed, so mind who watches):");
    }
    read_password(input).map(Some)
}

/// One line of `input` as a password: the line end (`\n` or `\r\n`) is not part of it, a last
/// line without one is taken as it is, and nothing may follow it.
fn read_password(input: impl Read) -> Result<NewPassword, Failure> {
    let mut bytes = Vec::new();
    input
        .take(MAX_INPUT)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Failed(anyhow::Error::new(e).context("reading standard input")))?;
    let refuse = |why: &str| Err(Failure::Failed(anyhow::anyhow!("{why}")));
    if bytes.is_empty() {
        return refuse(
            "no password on standard input: give it as one line, e.g. `ops staff add … < file`",
        );
    }
    let (line, rest) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None if bytes.len() as u64 >= MAX_INPUT => {
            return refuse(&format!(
                "the password is not acceptable: it is longer than {MAX_PASSWORD_CHARS} characters"
            ));
        }
        None => (&bytes[..], &[][..]),
    };
    if !rest.is_empty() {
        return refuse("standard input holds more than one line; give the password alone");
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(text) = std::str::from_utf8(line) else {
        return refuse("the password on standard input is not UTF-8 text");
    };
    NewPassword::parse(SecretString::from(text.to_owned()))
        .map_err(|e| Failure::Failed(anyhow::anyhow!("the password is not acceptable: {e}")))
}

#[derive(Serialize)]
struct Disabled<'a> {
    account: &'a StaffAccount,
    newly: bool,
    sessions_ended: usize,
}

#[derive(Serialize)]
struct PasswordSet<'a> {
    email: &'a EmailAddress,
    sessions_ended: usize,
}

fn print_table(accounts: &[StaffAccount]) {
    let email_w = accounts
        .iter()
        .map(|a| a.email.as_str().chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let name_w = accounts
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    outln!(
        "{:email_w$}  {:name_w$}  ROLE   STATE     CREATED",
        "EMAIL",
        "NAME"
    );
    for a in accounts {
        let state = if a.is_active() { "active" } else { "disabled" };
        outln!(
            "{:email_w$}  {:name_w$}  {:5}  {state:8}  {}",
            a.email.as_str(),
            a.name,
            a.role.as_str(),
            a.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    if accounts.is_empty() {
        outln!("(no staff accounts yet: `ops staff add EMAIL --name NAME --role admin`)");
    }
}

/// Runs a parsed staff command (`password` is the one [`password_for`] read).
pub(crate) fn run(
    settings: &Settings,
    request: &StaffRequest,
    password: Option<NewPassword>,
    json: bool,
) -> Outcome {
    let pool = migrated_pool(&settings.database.clone().with_pool_size(1))?;
    let office = BackOffice::new(UnitOfWork::new(pool), &settings.admin);
    let actor = Actor::ops();
    let failed = |e: wetech_app::backoffice::StaffError| match request.email() {
        Some(email) => Failure::Failed(anyhow::Error::new(e).context(format!("staff {email}"))),
        None => Failure::Failed(e.into()),
    };
    let missing = || Failure::Failed(anyhow::anyhow!("no password was read"));
    match request {
        StaffRequest::Add { email, name, role } => {
            let account = office
                .add_account(
                    &NewStaffAccount {
                        email: email.clone(),
                        name: name.clone(),
                        role: *role,
                        password: password.ok_or_else(missing)?,
                    },
                    &actor,
                )
                .map_err(failed)?;
            if json {
                output::print_json(&account)?;
            } else {
                outln!(
                    "added {} {} ({})",
                    account.role,
                    account.email,
                    account.name
                );
            }
        }
        StaffRequest::List => {
            let accounts = office.list_accounts().map_err(failed)?;
            if json {
                output::print_json(&accounts)?;
            } else {
                print_table(&accounts);
            }
        }
        StaffRequest::Disable { email } => {
            let done = office.disable_account(email, &actor).map_err(failed)?;
            if json {
                output::print_json(&Disabled {
                    account: &done.account,
                    newly: done.newly,
                    sessions_ended: done.sessions_ended,
                })?;
            } else if done.newly {
                outln!(
                    "disabled {}; ended {} session(s)",
                    done.account.email,
                    done.sessions_ended
                );
            } else {
                outln!("{} was already disabled", done.account.email);
            }
        }
        StaffRequest::SetPassword { email } => {
            let password = password.ok_or_else(missing)?;
            let ended = office
                .set_password(email, &password, &actor)
                .map_err(failed)?;
            if json {
                output::print_json(&PasswordSet {
                    email,
                    sessions_ended: ended,
                })?;
            } else {
                outln!("set a new password for {email}; ended {ended} session(s)");
            }
        }
    }
    Ok(())
}
