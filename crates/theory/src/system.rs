//! Finite systems for the finite-sum problems (docs/theory.md §2, §6), as the CLI and the experiment
//! files name them:
//!
//! | `--system` | matrix A |
//! |---|---|
//! | `PATH` or `file:PATH` | numeric CSV, one row of A per line (an optional header line) |
//! | `gen[:n=N][,seed=S]` | seeded random matrix whose spectrum is `--spectrum` |
//!
//! Randomized Kaczmarz runs on the rows of an n x d system (generated: A = U diag(sqrt l) V^T,
//! n = 4d unless given, so A^T A has eigenvalues l); coordinate descent runs on a d x d symmetric
//! positive semi-definite A (generated: Q diag(l) Q^T; `n` does not apply).

use crate::error::{Error, Result};
use crate::finite_sum::FiniteSum;
use crate::invalid;
use crate::spec::KeyValues;
use crate::spectrum::{Spectrum, read_csv_matrix};
use serde::Serialize;
use std::path::PathBuf;

/// Which finite-sum method a system is solved by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemKind {
    /// Randomized Kaczmarz on the rows of A w = b.
    Kaczmarz,
    /// Randomized coordinate descent on a PSD system A w = b.
    CoordinateDescent,
}

/// Where the matrix A comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SystemSource {
    /// A numeric CSV file.
    File(PathBuf),
    /// A seeded random matrix with a given spectrum; `rows` only for Kaczmarz.
    Generated {
        /// The number n of rows (Kaczmarz; None: n = 4d).
        rows: Option<usize>,
        /// The seed of the random orthogonal factors.
        seed: u64,
    },
}

impl std::str::FromStr for SystemSource {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        if spec.is_empty() {
            return Err(invalid!("--system needs a CSV path or gen[:n=N][,seed=S]"));
        }
        if let Some(path) = spec.strip_prefix("file:") {
            return Ok(SystemSource::File(PathBuf::from(path)));
        }
        let rest = match spec.strip_prefix("gen") {
            Some("") => "",
            Some(rest) if rest.starts_with(':') => &rest[1..],
            _ => return Ok(SystemSource::File(PathBuf::from(spec))),
        };
        let mut kv = KeyValues::parse("system", spec, rest, &["n", "seed"])?;
        let rows = if kv.has("n") { Some(kv.count("n")?) } else { None };
        Ok(SystemSource::Generated { rows, seed: kv.count_or("seed", 0)? as u64 })
    }
}

impl SystemSource {
    /// The matrix A for `kind`; a generated one needs the `spectrum` (of A^T A for Kaczmarz, of A
    /// for coordinate descent).
    pub fn matrix(&self, kind: SystemKind, spectrum: Option<&Spectrum>) -> Result<nalgebra::DMatrix<f64>> {
        let (rows, seed) = match self {
            SystemSource::File(path) => return read_csv_matrix(path, "system file"),
            SystemSource::Generated { rows, seed } => (*rows, *seed),
        };
        let spectrum = spectrum
            .ok_or_else(|| invalid!("a generated system needs --spectrum (the eigenvalues it is built with)"))?;
        match (kind, rows) {
            (SystemKind::Kaczmarz, rows) => FiniteSum::random_system(rows.unwrap_or(4 * spectrum.d()), spectrum, seed),
            (SystemKind::CoordinateDescent, None) => Ok(FiniteSum::random_psd(spectrum, seed)),
            (SystemKind::CoordinateDescent, Some(_)) => {
                Err(invalid!("n= does not apply to coordinate descent: its system is d x d"))
            }
        }
    }

    /// The finite sum of `kind` on this system; for coordinate descent A must be symmetric PSD.
    pub fn finite_sum(&self, kind: SystemKind, spectrum: Option<&Spectrum>) -> Result<FiniteSum> {
        let a = self.matrix(kind, spectrum)?;
        match kind {
            SystemKind::Kaczmarz => FiniteSum::kaczmarz(&a),
            SystemKind::CoordinateDescent => {
                let sum = FiniteSum::coordinate_descent(&a)?;
                let min = nalgebra::SymmetricEigen::new(a.clone()).eigenvalues.min();
                if min < -1e-12 * a.amax() * a.nrows() as f64 {
                    return Err(invalid!(
                        "coordinate descent needs a positive semi-definite A; it has eigenvalue {min:e}"
                    ));
                }
                Ok(sum)
            }
        }
    }
}

impl FiniteSum {
    /// The spectrum of H = E\[H_hat\] (zero eigenvalues dropped): what predictions and tuning see.
    pub fn spectrum(&self) -> Result<Spectrum> {
        Spectrum::from_symmetric_psd(self.hessian().clone())
    }
}
