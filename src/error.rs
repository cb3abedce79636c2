//! The crate-wide error type.
//!
//! Every fallible public function returns [`Result<T>`](Result). Variants name the offending field,
//! file, trajectory or step so that a user can act on the message without reading a backtrace.

use std::path::PathBuf;

/// Errors raised by pdd.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is invalid; `field` names it (e.g. `lorenz96.dt`).
    #[error("invalid configuration: `{field}`: {reason}")]
    Config {
        /// Dotted name of the offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Input arrays whose shapes do not match what the operation expects.
    #[error("shape mismatch in {context}: expected {expected}, got {got}")]
    Shape {
        /// Where the mismatch was found.
        context: String,
        /// The expected shape, in words or as `[a, b, ...]`.
        expected: String,
        /// The shape that was given.
        got: String,
    },
    /// A NaN or infinity where finite numbers are required.
    #[error("non-finite value in {context}")]
    NonFinite {
        /// Where it was found (array name, trajectory, time or step).
        context: String,
    },
    /// A numerical integration blew up.
    #[error("integration blew up in trajectory {trajectory} at model time {time:.4}: {reason}")]
    BlowUp {
        /// Global index of the trajectory.
        trajectory: usize,
        /// Model time at which the blow-up was detected.
        time: f64,
        /// What was detected.
        reason: String,
    },
    /// A value outside its allowed range (λ outside [0, 1], say).
    #[error("{name} = {value} is outside its range {range}")]
    OutOfRange {
        /// Name of the quantity.
        name: String,
        /// The value given.
        value: f64,
        /// The allowed range, in words.
        range: String,
    },
    /// An output file exists and overwriting was not requested.
    #[error("{0} already exists (pass --overwrite / `overwrite = true` to replace it)")]
    Exists(PathBuf),
    /// A file that is missing, truncated, corrupt or of another kind.
    #[error("cannot use {path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An unknown preset name.
    #[error("unknown preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// An operating-system I/O error, with the path involved.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error from the HDF5 library.
    #[error("HDF5 error on {path}: {message}")]
    Hdf5 {
        /// The file involved.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// Anything else, with a message.
    #[error("{0}")]
    Other(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The variant of a named enum (names derived by `strum`, matching its serde names) whose name
/// is `s`: the `FromStr` of pdd's enums; else an [`Error::Config`] for `field` naming `what` and
/// listing the names, e.g.
/// ``unknown split `x` (train|valid|test)``.
pub fn parse_named<T>(s: &str, field: &str, what: &str) -> Result<T>
where
    T: Copy + Into<&'static str> + strum::VariantArray,
{
    let name = |v: T| -> &'static str { v.into() };
    T::VARIANTS.iter().copied().find(|&v| name(v) == s).ok_or_else(|| {
        let names: Vec<&str> = T::VARIANTS.iter().map(|&v| name(v)).collect();
        Error::config(field, format!("unknown {what} `{s}` ({})", names.join("|")))
    })
}

/// The candidate closest to `word` (edit distance at most a third of its length, at least 1),
/// for "did you mean" hints.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|&c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between `a` and `b` (in characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

impl Error {
    /// A [`Error::Config`] for `field`.
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { field: field.into(), reason: reason.into() }
    }

    /// A [`Error::Shape`].
    pub fn shape(
        context: impl Into<String>,
        expected: impl std::fmt::Debug,
        got: impl std::fmt::Debug,
    ) -> Self {
        Error::Shape {
            context: context.into(),
            expected: format!("{expected:?}"),
            got: format!("{got:?}"),
        }
    }

    /// A [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// A [`Error::BadFile`].
    pub fn bad_file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::BadFile { path: path.into(), reason: reason.into() }
    }
}

/// Fails with [`Error::NonFinite`] when any value is NaN or infinite.
pub fn ensure_finite<T: Copy + Into<f64>>(values: &[T], context: &str) -> Result<()> {
    match values.iter().position(|v| !(*v).into().is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite { context: format!("{context} (flat index {i})") }),
    }
}

/// Fails with [`Error::OutOfRange`] unless `0 <= lambda <= 1`.
pub fn ensure_lambda(lambda: f64) -> Result<()> {
    if (0.0..=1.0).contains(&lambda) {
        Ok(())
    } else {
        Err(Error::OutOfRange { name: "λ".into(), value: lambda, range: "[0, 1]".into() })
    }
}

#[cfg(test)]
mod parse_named_tests {
    use crate::io::Split;
    use crate::train::{ModelKind, Objective};

    #[test]
    fn named_enums_parse_their_names_and_list_them_on_error() {
        assert_eq!("valid".parse::<Split>().unwrap(), Split::Valid);
        assert_eq!("sa-pdd".parse::<Objective>().unwrap(), Objective::SaPdd);
        assert_eq!("ddpm-gen".parse::<ModelKind>().unwrap(), ModelKind::DdpmGen);
        let e = "x".parse::<Split>().unwrap_err().to_string();
        assert!(e.contains("unknown split `x` (train|valid|test)"), "{e}");
        let e = "pd".parse::<ModelKind>().unwrap_err().to_string();
        assert!(e.contains("unknown model `pd` (pdd|ddpm-sim|ddpm-gen)"), "{e}");
    }

    /// Every variant's derived name is its name in presets and JSON (serde) and parses back.
    fn names_agree<T>()
    where
        T: Copy + Into<&'static str> + strum::VariantArray + serde::Serialize,
        T: std::str::FromStr + PartialEq + std::fmt::Debug,
    {
        for &v in T::VARIANTS {
            let name: &'static str = v.into();
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
            assert_eq!(name.parse::<T>().ok(), Some(v));
        }
    }

    #[test]
    fn derived_names_are_the_serde_names() {
        names_agree::<Split>();
        names_agree::<Objective>();
        names_agree::<crate::sample::Integrator>();
        names_agree::<crate::sample::SrSource>();
        names_agree::<crate::predictor::Action>();
        assert_eq!(
            crate::systems::SystemKind::from_name("kolmogorov").map(|k| k.name()),
            Some("kolmogorov")
        );
    }
}
