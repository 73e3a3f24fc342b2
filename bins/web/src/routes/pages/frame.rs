//! What every customer page's frame (`base.html`) needs: the page's language (`<html lang>`,
//! and `t.text("key")` for its words) and the language switch, plain links that set `?lang=`.

use actix_web::HttpRequest;
use wetech_i18n::Language;

/// A link of the language switch.
pub struct SwitchLink {
    /// This page in the other language (`/invoices/…?lang=sw`).
    pub href: String,
    /// The language's code (`hreflang`).
    pub code: &'static str,
    /// The language's own name.
    pub name: &'static str,
    /// Whether the page is already in it.
    pub current: bool,
}

/// The language of a page and its switch links.
pub struct Frame {
    /// The page's language.
    pub t: Language,
    /// One link per language.
    pub switch: Vec<SwitchLink>,
}

impl Frame {
    /// The frame of the page answering `req`, in the request's language.
    pub fn for_request(req: &HttpRequest) -> Frame {
        Frame::new(crate::language::of(req), req.path())
    }

    /// The frame of the page at `path` in `language`.
    pub fn new(language: Language, path: &str) -> Frame {
        Frame {
            t: language,
            switch: Language::ALL
                .into_iter()
                .map(|l| SwitchLink {
                    href: format!("{path}?{}={}", crate::language::QUERY_PARAM, l.code()),
                    code: l.code(),
                    name: l.native_name(),
                    current: l == language,
                })
                .collect(),
        }
    }
}
