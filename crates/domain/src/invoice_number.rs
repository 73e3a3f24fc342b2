//! [`InvoiceNumber`]: the human-facing invoice number `INV-YYYY-NNNNNN`.

use crate::text::string_value_impls;

/// Why an invoice number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceNumberError {
    /// Not of the shape `INV-YYYY-NNNNNN`.
    #[error("invoice number must look like INV-2026-000001")]
    Shape,
    /// The year is outside 2000–9999.
    #[error("invoice year must be between 2000 and 9999")]
    Year,
    /// The sequence is outside 1–999999.
    #[error("invoice sequence must be between 1 and 999999")]
    Sequence,
}

/// An invoice number, `INV-YYYY-NNNNNN`: the year of issue (2000–9999) and a per-year sequence
/// (1–999999, six digits, zero-padded). Unique and gap-tolerant; never used in public URLs (the
/// [`PublicId`](crate::PublicId) is).
///
/// ```
/// use wetech_domain::InvoiceNumber;
/// let n = InvoiceNumber::new(2026, 1).unwrap();
/// assert_eq!(n.as_str(), "INV-2026-000001");
/// assert_eq!(InvoiceNumber::parse("INV-2026-000001").unwrap(), n);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceNumber {
    year: u16,
    sequence: u32,
    text: String,
}

impl InvoiceNumber {
    /// The largest sequence number in a year.
    pub const MAX_SEQUENCE: u32 = 999_999;

    /// The number with the given year and per-year sequence.
    ///
    /// ```
    /// use wetech_domain::{InvoiceNumber, InvoiceNumberError};
    /// assert_eq!(InvoiceNumber::new(2026, 0), Err(InvoiceNumberError::Sequence));
    /// assert_eq!(InvoiceNumber::new(2026, 1_000_000), Err(InvoiceNumberError::Sequence));
    /// assert_eq!(InvoiceNumber::new(1999, 1), Err(InvoiceNumberError::Year));
    /// ```
    pub fn new(year: i32, seq: u32) -> Result<InvoiceNumber, InvoiceNumberError> {
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (2000..=9999).contains(y))
            .ok_or(InvoiceNumberError::Year)?;
        if !(1..=Self::MAX_SEQUENCE).contains(&seq) {
            return Err(InvoiceNumberError::Sequence);
        }
        Ok(InvoiceNumber {
            year,
            sequence: seq,
            text: format!("INV-{year:04}-{seq:06}"),
        })
    }

    /// Parses `INV-YYYY-NNNNNN` exactly (upper case, four-digit year, six-digit sequence);
    /// surrounding whitespace is trimmed.
    ///
    /// ```
    /// use wetech_domain::InvoiceNumber;
    /// let n = InvoiceNumber::parse("INV-2026-000042").unwrap();
    /// assert_eq!((n.year(), n.sequence()), (2026, 42));
    /// assert!(InvoiceNumber::parse("INV-2026-42").is_err());
    /// assert!(InvoiceNumber::parse("INV-2026-000000").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<InvoiceNumber, InvoiceNumberError> {
        let s = input.trim();
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let (year, seq) = s
            .strip_prefix("INV-")
            .and_then(|rest| rest.split_once('-'))
            .filter(|(y, q)| digits(y, 4) && digits(q, 6))
            .ok_or(InvoiceNumberError::Shape)?;
        let year = year.parse().map_err(|_| InvoiceNumberError::Shape)?;
        let seq = seq.parse().map_err(|_| InvoiceNumberError::Shape)?;
        InvoiceNumber::new(year, seq)
    }

    /// The year of issue.
    #[must_use]
    pub fn year(&self) -> i32 {
        i32::from(self.year)
    }

    /// The sequence within the year (1–999999).
    #[must_use]
    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// `INV-YYYY-NNNNNN`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

string_value_impls!(InvoiceNumber, InvoiceNumberError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        assert_eq!(
            InvoiceNumber::new(2026, 1).unwrap().as_str(),
            "INV-2026-000001"
        );
        assert_eq!(
            InvoiceNumber::new(9999, 999_999).unwrap().as_str(),
            "INV-9999-999999"
        );
        assert_eq!(InvoiceNumber::new(2000, 1).unwrap().year(), 2000);
        assert_eq!(InvoiceNumber::new(10_000, 1), Err(InvoiceNumberError::Year));
        assert_eq!(InvoiceNumber::new(-2026, 1), Err(InvoiceNumberError::Year));
        assert_eq!(
            InvoiceNumber::new(i32::MAX, 1),
            Err(InvoiceNumberError::Year)
        );
        use InvoiceNumberError as E;
        for (input, err) in [
            ("", E::Shape),
            ("INV-2026-00001", E::Shape),
            ("INV-2026-0000001", E::Shape),
            ("inv-2026-000001", E::Shape),
            ("INV-26-000001", E::Shape),
            ("INV-2026_000001", E::Shape),
            ("INV-2026-+00001", E::Shape),
            ("INV-+026-000001", E::Shape),
            ("INV-2026-00000١", E::Shape),
            ("INV-2026-000001-1", E::Shape),
            ("INV 2026 000001", E::Shape),
            ("INV-1999-000001", E::Year),
            ("INV-2026-000000", E::Sequence),
        ] {
            assert_eq!(InvoiceNumber::parse(input), Err(err), "{input:?}");
        }
        assert!(InvoiceNumber::parse(" INV-2026-000001\n").is_ok());
        let n: InvoiceNumber = serde_json::from_str("\"INV-2026-000007\"").unwrap();
        assert_eq!(n.sequence(), 7);
        assert!(serde_json::from_str::<InvoiceNumber>("\"INV-2026-7\"").is_err());
    }

    #[test]
    fn ordering_follows_year_then_sequence() {
        let a = InvoiceNumber::new(2025, 999_999).unwrap();
        let b = InvoiceNumber::new(2026, 1).unwrap();
        let c = InvoiceNumber::new(2026, 2).unwrap();
        assert!(a < b && b < c);
    }

    proptest! {
        #[test]
        fn round_trips(year in 2000_i32..=9999, seq in 1_u32..=999_999) {
            let n = InvoiceNumber::new(year, seq).unwrap();
            prop_assert_eq!(n.as_str().len(), 15);
            let back = InvoiceNumber::parse(&format!("{n}")).unwrap();
            prop_assert_eq!((back.year(), back.sequence()), (year, seq));
            prop_assert_eq!(back, n);
        }

        #[test]
        fn new_never_panics(year in any::<i32>(), seq in any::<u32>()) {
            let ok = (2000..=9999).contains(&year) && (1..=999_999).contains(&seq);
            prop_assert_eq!(InvoiceNumber::new(year, seq).is_ok(), ok);
        }

        #[test]
        fn never_panics(input in any::<String>()) {
            let _ = InvoiceNumber::parse(&input);
        }

        #[test]
        fn never_panics_on_near_misses(input in "INV-[0-9+-]{0,6}-[0-9+-]{0,8}") {
            if let Ok(n) = InvoiceNumber::parse(&input) {
                prop_assert_eq!(n.as_str(), input.as_str());
            }
        }
    }
}
