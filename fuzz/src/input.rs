//! Cutting one fuzz input into the parts a target needs: a selector byte, then text parts
//! separated by a NUL byte (which none of the parsed formats needs).

/// An input being taken apart from the front.
pub(crate) struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Input<'a> {
        Input { rest: data }
    }

    /// The next byte (0 once the input is used up).
    pub(crate) fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// The bytes up to the next NUL (or the end), without it.
    pub(crate) fn part(&mut self) -> &'a [u8] {
        match self.rest.iter().position(|&b| b == 0) {
            Some(i) => {
                let (part, rest) = self.rest.split_at(i);
                self.rest = rest.get(1..).unwrap_or_default();
                part
            }
            None => std::mem::take(&mut self.rest),
        }
    }

    /// Everything not yet taken.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Bytes as text, invalid UTF-8 replaced (the parsers take `&str`).
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
