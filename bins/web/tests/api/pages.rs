//! Customer pages (HTML): filled in with the pages work.
