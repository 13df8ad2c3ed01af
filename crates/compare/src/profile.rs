//! Verification profiles: how much is measured. The protocol is the same in every profile —
//! each (method, B) tuned for T(eps) itself, the exact iterations to E\[loss\] <= 1e-4 E\[loss_0\],
//! warm-started along B — and so are the claims and their tolerances; profiles differ only in
//! how many and how large the spectra are (smoke), the batch grid and the Monte-Carlo runs.

use crate::error::{Error, Result};
use crate::registry::{ClaimSpec, Spectra};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Small spectra, batches 4^k: the end-to-end test (seconds).
    Smoke,
    /// The protocol's spectra, batches 2^k up to 2^14.
    Quick,
    /// The protocol's spectra, batches 2^k up to 2^16, more Monte-Carlo points.
    Full,
}

impl std::str::FromStr for Profile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "smoke" => Ok(Profile::Smoke),
            "quick" => Ok(Profile::Quick),
            "full" => Ok(Profile::Full),
            other => Err(Error::Selection(format!("unknown profile '{other}' (known: smoke, quick, full)"))),
        }
    }
}

impl Profile {
    /// "smoke", "quick" or "full" (also the prefix of profile-dependent protocol numbers).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }

    /// The batch grid.
    pub fn batches(self) -> Vec<f64> {
        match self {
            Profile::Smoke => (0..=6).map(|k| 4f64.powi(k)).collect(),
            Profile::Quick => (0..=14).map(|k| 2f64.powi(k)).collect(),
            Profile::Full => (0..=16).map(|k| 2f64.powi(k)).collect(),
        }
    }

    /// The spectra a claim uses in this profile (none for a claim on a task).
    pub fn spectra(self, claim: &ClaimSpec) -> &[String] {
        claim.spectra.as_ref().map_or(&[], |s| self.pick(s))
    }

    /// This profile's entry of a claim protocol's per-profile sub-tables.
    pub fn choose<'a, T>(self, smoke: &'a T, quick: &'a T, full: &'a T) -> &'a T {
        match self {
            Profile::Smoke => smoke,
            Profile::Quick => quick,
            Profile::Full => full,
        }
    }

    /// This profile's list of a per-profile spectra table (quick falls back to full).
    pub fn pick(self, spectra: &Spectra) -> &[String] {
        match self {
            Profile::Smoke => &spectra.smoke,
            Profile::Quick => spectra.quick.as_deref().unwrap_or(&spectra.full),
            Profile::Full => &spectra.full,
        }
    }
}

/// `n` points geometric from `ends[0]` to `ends[1]` (`ends[0]` alone for n = 1): the
/// per-profile grids of learning rates and momenta of the network claims.
pub fn geometric(ends: [f64; 2], n: usize) -> Vec<f64> {
    let [a, b] = ends;
    (0..n).map(|k| if n == 1 { a } else { a * (b / a).powf(k as f64 / (n - 1) as f64) }).collect()
}

/// The Monte-Carlo T(B) points of the T(B) figures: SGD and HB at `batches`, `runs` runs each,
/// skipped where runs x T x d exceeds `budget` (coordinate updates).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonteCarlo {
    pub runs: usize,
    pub batches: Vec<f64>,
    pub budget: f64,
    pub seed: u64,
}

impl Profile {
    pub fn monte_carlo(self) -> MonteCarlo {
        let (runs, batches, budget) = match self {
            Profile::Smoke => (16, vec![4.0, 64.0], 1e8),
            Profile::Quick => (24, vec![16.0, 256.0, 4096.0], 3e8),
            Profile::Full => (256, vec![4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0], 2e9),
        };
        MonteCarlo { runs, batches, budget, seed: 7 }
    }
}
