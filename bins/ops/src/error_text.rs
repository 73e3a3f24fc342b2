//! An error as one line for stderr and the logs.

/// The error and its causes, walking `source()`, joined by `: `, on one line. Each layer's
/// message names that layer only (the error policy of every workspace crate), so nothing is
/// left out or merged. Some libraries' errors repeat their cause in their own message (the S3
/// client's do, and its causes carry the service's multi-line XML answer): a cause whose text
/// the layer above already shows is not printed again, and line breaks become spaces.
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    let mut shown: Vec<String> = Vec::new();
    for layer in e.chain() {
        let text = layer
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if shown.last().is_some_and(|above| above.contains(&text)) {
            continue;
        }
        shown.push(text);
    }
    shown.join(": ")
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
        // A cause that repeats what the layer above already says is printed once.
        let e = anyhow::Error::new(Layer(
            "Generic S3 error: request failed: 403 Forbidden:\n<Error>\n  <Code>Denied</Code>",
            Some(Box::new(Layer(
                "request failed: 403 Forbidden:\n<Error>\n  <Code>Denied</Code>",
                None,
            ))),
        ))
        .context("cannot list s3://b/p");
        assert_eq!(
            error_text(&e),
            "cannot list s3://b/p: Generic S3 error: request failed: 403 Forbidden: <Error> \
             <Code>Denied</Code>"
        );
        let e = anyhow::Error::msg("connection refused").context("cannot connect to PostgreSQL");
        assert_eq!(
            error_text(&e),
            "cannot connect to PostgreSQL: connection refused"
        );
    }
}
