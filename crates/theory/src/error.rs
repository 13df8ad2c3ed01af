//! The one error type of the theory crate. Every variant renders as a single line, because the CLI
//! prints it verbatim and exits with code 2.

use std::path::PathBuf;

/// What can go wrong when building a spectrum, a method or a prediction from user input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value outside its domain (d = 0, lr <= 0, momentum outside [0, 1), batch 0, ...).
    #[error("{0}")]
    Invalid(String),
    /// A spectrum specification or file that cannot be parsed.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// What was being parsed (a spectrum specification, a file, ...).
        what: String,
        /// Why it failed.
        detail: String,
    },
    /// A file that cannot be read.
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        cause: std::io::Error,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error::Invalid`] from a format string.
#[macro_export]
macro_rules! invalid {
    ($($arg:tt)*) => { $crate::error::Error::Invalid(format!($($arg)*)) };
}

/// Fails with [`Error::Invalid`] unless `x` is finite and strictly positive.
pub fn require_positive(name: &str, x: f64) -> Result<f64> {
    if x.is_finite() && x > 0.0 { Ok(x) } else { Err(invalid!("{name} must be a finite number > 0, got {x}")) }
}
