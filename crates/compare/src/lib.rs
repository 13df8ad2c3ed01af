//! momentum-lab compare: every claim of the source papers (THEORY.md §1) as a check with a
//! verdict. Claims live in `experiments/<id>.toml` ([`registry`]); the profile ([`profile`])
//! sets how much is measured; [`sweep`] holds the per-spectrum measurements the claims share;
//! [`claims`] decides each verdict ([`verdict`]); [`report`] renders the table and report.md.

pub mod claims;
pub mod error;
pub mod exactness;
pub mod profile;
pub mod registry;
pub mod report;
pub mod sweep;
pub mod verdict;

pub use claims::ClaimResult;
pub use error::{Error, Result};
pub use profile::Profile;
pub use registry::ClaimSpec;
pub use report::Report;
pub use verdict::Verdict;

use sweep::{FAMILIES, Sweep};

/// The claims named in `only` (all when empty), in registry order; unknown ids are an error.
pub fn select(claims: Vec<ClaimSpec>, only: &[String]) -> Result<Vec<ClaimSpec>> {
    if let Some(unknown) = only.iter().find(|id| !claims.iter().any(|c| &c.id == *id)) {
        let known: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Selection(format!("unknown claim '{unknown}' (known: {})", known.join(", "))));
    }
    Ok(claims.into_iter().filter(|c| only.is_empty() || only.contains(&c.id)).collect())
}

/// C1 simulates; every other claim reads tuned sweeps.
fn simulates(claim: &ClaimSpec) -> bool {
    claim.id == "C1"
}

/// The distinct spectra the sweeps need under `profile`, in first-use order.
pub fn spectra(claims: &[ClaimSpec], profile: Profile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in claims.iter().filter(|c| !simulates(c)).flat_map(|c| profile.spectra(c)) {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// Number of tuned cells `verify` computes (for a progress bar).
pub fn work(claims: &[ClaimSpec], profile: Profile) -> u64 {
    (spectra(claims, profile).len() * FAMILIES.len() * profile.batches().len()) as u64
}

/// Runs the claims: one sweep per distinct spectrum (cells in parallel), then each check.
pub fn verify(claims: &[ClaimSpec], profile: Profile, cell_done: &(dyn Fn() + Sync)) -> Result<Report> {
    let batches = profile.batches();
    let sweeps = spectra(claims, profile)
        .iter()
        .map(|s| Sweep::run(s, &batches, profile.objective(), cell_done))
        .collect::<Result<Vec<_>>>()?;
    let results = claims
        .iter()
        .map(|c| {
            if simulates(c) {
                let prefix = if profile == Profile::Smoke { "smoke_" } else { "" };
                let budget = exactness::Budget {
                    runs: c.protocol(&format!("{prefix}runs"))? as usize,
                    steps: c.protocol(&format!("{prefix}steps"))? as usize,
                };
                return exactness::evaluate(c, &profile.spectra(c)[0], budget);
            }
            let mine: Vec<&Sweep> =
                profile.spectra(c).iter().map(|s| sweeps.iter().find(|w| &w.spec == s).expect("swept above")).collect();
            claims::evaluate(c, &mine)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Report { profile, batches, claims: results, sweeps })
}
