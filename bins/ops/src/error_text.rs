//! An error as one line for stderr and the logs.

/// The error and its causes, walking `source()`, joined by `: `. Each layer's message names that
/// layer only (the error policy of every workspace crate), so nothing is left out or merged.
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer that names itself and keeps its cause as `source()`.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn an_error_chain_is_printed_layer_by_layer() {
        let e = anyhow::Error::new(Layer(
            "database error",
            Some(Box::new(Layer("no such table: services", None))),
        ))
        .context("catalog list failed");
        assert_eq!(
            error_text(&e),
            "catalog list failed: database error: no such table: services"
        );
        let e = anyhow::Error::msg("connection refused").context("cannot connect to PostgreSQL");
        assert_eq!(
            error_text(&e),
            "cannot connect to PostgreSQL: connection refused"
        );
    }
}
