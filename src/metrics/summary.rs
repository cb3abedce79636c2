//! Mean ± standard deviation summaries.

use serde::{Deserialize, Serialize};

/// Mean and (population, ddof = 0) standard deviation of a set of values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// The mean.
    pub mean: f64,
    /// The standard deviation (`√(mean of squared deviations)`, numpy's default).
    pub std: f64,
}

impl MeanStd {
    /// Summarises `values`; `NaN`s if `values` is empty.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Self { mean, std: var.sqrt() }
    }

    /// A single value (std 0).
    pub fn exact(value: f64) -> Self {
        Self { mean: value, std: 0.0 }
    }
}

impl std::fmt::Display for MeanStd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mean.is_nan() {
            // not measured (a skipped task), rather than "NaN ± 0.000"
            return f.write_str("–");
        }
        let p = f.precision().unwrap_or(3);
        if self.std == 0.0 {
            // one seed, or a deterministic task: there is no spread to print (not "± 0.000")
            return write!(f, "{:.p$}", self.mean);
        }
        write!(f, "{:.p$} ± {:.p$}", self.mean, self.std)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_std() {
        let m = MeanStd::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.mean, 2.5);
        assert!((m.std - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(format!("{:.1}", m), "2.5 ± 1.1");
        assert!(MeanStd::of(&[]).mean.is_nan());
        assert_eq!(MeanStd::exact(3.0).std, 0.0);
    }

    /// Issue #26 item 15: one seed has no spread, and none is printed.
    #[test]
    fn no_spread_is_printed_where_there_is_none() {
        assert_eq!(MeanStd::of(&[0.5]).to_string(), "0.500");
        assert_eq!(format!("{:.2}", MeanStd::exact(1.0)), "1.00");
        assert_eq!(MeanStd::of(&[0.5, 0.7]).to_string(), "0.600 ± 0.100");
    }
}
