//! Reads a criterion result (`<CRITERION_HOME>/<group>/<bench>/new/estimates.json`) as a rate, so
//! the HTTP figures can be compared with the persistence benchmark measured in the same run.

use std::path::Path;

use serde::Deserialize;

/// Why a criterion result could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CriterionError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not criterion's estimates JSON.
    #[error("{path} is not a criterion estimates file: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// The time per iteration is zero, negative or not finite.
    #[error("{path}: implausible time per iteration {nanos} ns")]
    Implausible {
        /// The file.
        path: String,
        /// The estimate.
        nanos: f64,
    },
}

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
    slope: Option<Estimate>,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Iterations per second from the text of an `estimates.json`, using the estimate criterion
/// prints as "time" and "thrpt" (the slope when criterion fitted one, else the mean). Both are
/// throughput estimates (they include the slow iterations), which is what the HTTP side's
/// requests per second is compared with; the median would leave out the slow commits.
///
/// ```
/// let json = r#"{"mean":{"point_estimate":2000000.0},"slope":null}"#;
/// let rate = wetech_loadgen::criterion::rate_from_json(json, "estimates.json").unwrap();
/// assert!((rate - 500.0).abs() < 1e-9);
/// ```
pub fn rate_from_json(text: &str, path: &str) -> Result<f64, CriterionError> {
    let e: Estimates = serde_json::from_str(text).map_err(|source| CriterionError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let nanos = e.slope.unwrap_or(e.mean).point_estimate;
    if !(nanos.is_finite() && nanos > 0.0) {
        return Err(CriterionError::Implausible {
            path: path.to_owned(),
            nanos,
        });
    }
    Ok(1e9 / nanos)
}

/// Iterations per second from an `estimates.json` file.
pub fn rate_from_file(path: &Path) -> Result<f64, CriterionError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CriterionError::Read {
        path: name.clone(),
        source,
    })?;
    rate_from_json(&text, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_slope_when_present_else_mean() {
        let with_slope = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":4000000.0,"standard_error":1.0},
            "median":{"point_estimate":3900000.0},"slope":{"point_estimate":1000000.0},"std_dev":{"point_estimate":5.0}}"#;
        assert!((rate_from_json(with_slope, "x").unwrap() - 1000.0).abs() < 1e-9);
        let no_slope = r#"{"mean":{"point_estimate":4000000.0}}"#;
        assert!((rate_from_json(no_slope, "x").unwrap() - 250.0).abs() < 1e-9);
    }

    #[test]
    fn refuses_garbage_and_impossible_times() {
        for bad in [
            "",
            "null",
            "{}",
            r#"{"mean":{"point_estimate":"fast"}}"#,
            "[1,2,3]",
        ] {
            assert!(
                matches!(rate_from_json(bad, "x"), Err(CriterionError::Parse { .. })),
                "accepted {bad:?}"
            );
        }
        for bad in [
            r#"{"mean":{"point_estimate":0.0}}"#,
            r#"{"mean":{"point_estimate":-3.0}}"#,
            r#"{"mean":{"point_estimate":1.0},"slope":{"point_estimate":0.0}}"#,
        ] {
            assert!(
                matches!(
                    rate_from_json(bad, "x"),
                    Err(CriterionError::Implausible { .. })
                ),
                "accepted {bad:?}"
            );
        }
        assert!(matches!(
            rate_from_file(Path::new("/nonexistent/estimates.json")),
            Err(CriterionError::Read { .. })
        ));
    }
}
