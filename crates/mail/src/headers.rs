//! The message's headers and MIME structure: From, To, Date, a `Message-ID` fixed by the event,
//! `Auto-Submitted` on staff alerts, and a text + HTML alternative. No text of a user reaches a
//! header unfiltered: subjects are made one line here, and recipients are bare addresses (a
//! client's name appears in subjects and bodies only, never as a display name).

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart, header};

use crate::attachments::Attachment;
use crate::messages::Rendered;

/// The longest subject kept (longer ones are cut, with `…`).
pub const MAX_SUBJECT_CHARS: usize = 200;

/// `s` as one header-safe line: every control character (CR, LF, tab, …) becomes a space, runs
/// of spaces one, and at most [`MAX_SUBJECT_CHARS`] characters.
#[must_use]
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_SUBJECT_CHARS * 4));
    let mut count = 0;
    for c in s.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if count == MAX_SUBJECT_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out.trim_end().to_owned()
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail systems and vacation responders that
/// no person wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// The `Message-ID` of outbox message (`event_key`, `role`) sent from `from`:
/// `<lead-42.new-lead.staff@example.com>`. The same for every try, so that a resend after a
/// crash between the server's acceptance and our record of it is recognisable as one message.
#[must_use]
pub fn message_id(event_key: &str, role: &str, from: &Mailbox) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "<{}.{}@{}>",
        clean(event_key),
        clean(role),
        clean(from.email.domain())
    )
}

/// A message could not be put together.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// lettre refused the message.
    #[error("cannot build the message")]
    Message(#[source] lettre::error::Error),
    /// An attachment's content type does not parse.
    #[error("the attachment's content type {0:?} is not a MIME type")]
    ContentType(String),
}

/// The whole message: headers, then the text and HTML parts as alternatives; with an
/// attachment, those alternatives and the file (base64) in a `multipart/mixed`.
///
/// # Errors
/// No recipient, or lettre refused a part.
pub fn build(
    rendered: &Rendered,
    from: &Mailbox,
    to: &[Mailbox],
    message_id: String,
    attachment: Option<&Attachment>,
) -> Result<Message, BuildError> {
    let mut builder = Message::builder()
        .from(from.clone())
        .message_id(Some(message_id))
        .date_now()
        .subject(one_line(&rendered.subject));
    for mailbox in to {
        builder = builder.to(mailbox.clone());
    }
    if rendered.auto_submitted {
        builder = builder.header(AutoSubmitted);
    }
    let parts = MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
    let body = match attachment {
        None => parts,
        Some(file) => MultiPart::mixed()
            .multipart(parts)
            .singlepart(file_part(file)?),
    };
    builder.multipart(body).map_err(BuildError::Message)
}

/// An attachment's part: its type, `Content-Disposition: attachment; filename=…`, base64.
fn file_part(file: &Attachment) -> Result<SinglePart, BuildError> {
    let content_type = header::ContentType::parse(&file.content_type)
        .map_err(|_| BuildError::ContentType(file.content_type.clone()))?;
    Ok(lettre::message::Attachment::new(file.filename.clone())
        .body(file.bytes.clone(), content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(
            one_line("New lead: Eve\r\nBcc: all@example.com"),
            "New lead: Eve Bcc: all@example.com"
        );
        assert_eq!(one_line("  a\t\tb \n"), "a b");
        let long = "x".repeat(500);
        assert_eq!(one_line(&long).chars().count(), MAX_SUBJECT_CHARS + 1);
    }

    #[test]
    fn message_ids_come_from_the_event_and_the_sender_domain() {
        let from: Mailbox = "wetech <no-reply@example.com>".parse().unwrap();
        assert_eq!(
            message_id("lead-42.new-lead", "staff", &from),
            "<lead-42.new-lead.staff@example.com>"
        );
        assert_eq!(
            message_id("a b<c>", "staff", &from),
            "<a-b-c-.staff@example.com>"
        );
    }

    #[test]
    fn hostile_text_cannot_add_headers() {
        let from: Mailbox = "wetech <no-reply@example.com>".parse().unwrap();
        // Recipients are bare addresses (a user's name never becomes a display name).
        let to: Mailbox = "eve@example.com".parse().unwrap();
        let rendered = Rendered {
            subject: "Hello\r\nBcc: victim@example.org\r\n\r\nbody".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            auto_submitted: true,
        };
        let message = build(
            &rendered,
            &from,
            &[to],
            "<x.staff@example.com>".into(),
            None,
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !head
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{head}"
        );
        assert!(head.contains("Auto-Submitted: auto-generated"), "{head}");
        assert!(head.contains("Message-ID: <x.staff@example.com>"), "{head}");
        assert!(head.contains("Date: "), "{head}");
        assert_eq!(message.envelope().to().len(), 1);
    }
}
