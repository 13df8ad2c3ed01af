//! momentum-lab compare: every claim of the source papers (THEORY.md §1) as a check with a
//! verdict. Claims live in `experiments/<id>.toml` ([`registry`]); the profile ([`profile`])
//! sets how much is measured; [`sweep`] holds the per-spectrum measurements the claims share;
//! [`claims`] decides each verdict ([`verdict`]); [`report`] renders the table and report.md.

pub mod claims;
pub mod error;
pub mod exactness;
pub mod figure;
pub mod figures;
pub mod montecarlo;
pub mod profile;
pub mod registry;
pub mod report;
pub mod scaling;
pub mod sweep;
pub mod transfer;
pub mod verdict;

pub use claims::ClaimResult;
pub use error::{Error, Result};
pub use profile::Profile;
pub use registry::ClaimSpec;
pub use report::Report;
pub use verdict::Verdict;

use sweep::{FAMILIES, KACZMARZ_FAMILIES, Problem, Sweep};

/// The claims named in `only` (all when empty), in registry order; unknown ids are an error.
pub fn select(claims: Vec<ClaimSpec>, only: &[String]) -> Result<Vec<ClaimSpec>> {
    if let Some(unknown) = only.iter().find(|id| !claims.iter().any(|c| &c.id == *id)) {
        let known: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Selection(format!("unknown claim '{unknown}' (known: {})", known.join(", "))));
    }
    Ok(claims.into_iter().filter(|c| only.is_empty() || only.contains(&c.id)).collect())
}

/// What a claim measures on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Measures {
    /// Monte Carlo against the exact curves (C1).
    Simulation,
    /// Tuned Gaussian sweeps of its spectra (C2–C7).
    Gaussian,
    /// Tuned randomized-Kaczmarz sweeps on systems with its spectra (C8).
    Kaczmarz,
    /// Networks trained with Burn on its tasks (C9, C10).
    Network,
}

fn measures(claim: &ClaimSpec) -> Measures {
    match claim.id.as_str() {
        _ if claim.task.is_some() => Measures::Network,
        "C1" => Measures::Simulation,
        "C8" => Measures::Kaczmarz,
        _ => Measures::Gaussian,
    }
}

/// The distinct spectra that claims measuring on `kind` need under `profile`, in first-use order.
fn spectra_for(claims: &[ClaimSpec], profile: Profile, kind: Measures) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in claims.iter().filter(|c| measures(c) == kind).flat_map(|c| profile.spectra(c)) {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// The distinct spectra the Gaussian sweeps need under `profile`, in first-use order.
pub fn spectra(claims: &[ClaimSpec], profile: Profile) -> Vec<String> {
    spectra_for(claims, profile, Measures::Gaussian)
}

/// Number of cells `verify` computes: tuned cells, Monte-Carlo cells and training runs (a
/// progress bar).
pub fn work(claims: &[ClaimSpec], profile: Profile) -> Result<u64> {
    let gaussian = spectra(claims, profile).len() * FAMILIES.len();
    let kaczmarz = spectra_for(claims, profile, Measures::Kaczmarz).len() * KACZMARZ_FAMILIES.len();
    let simulated = spectra(claims, profile).len() * KACZMARZ_FAMILIES.len() * profile.monte_carlo().batches.len();
    let mut runs = 0;
    for c in claims.iter().filter(|c| measures(c) == Measures::Network) {
        runs += if c.id == "C10" { transfer::runs(c, profile)? } else { scaling::runs(c, profile)? };
    }
    Ok(((gaussian + kaczmarz) * profile.batches().len() + simulated) as u64 + runs)
}

/// The Kaczmarz sweeps of the C8-type claims (system shape and seed from each claim's protocol).
fn kaczmarz_sweeps(
    claims: &[ClaimSpec],
    profile: Profile,
    batches: &[f64],
    cell_done: &(dyn Fn() + Sync),
) -> Result<Vec<Sweep>> {
    let mut out = Vec::new();
    for c in claims.iter().filter(|c| measures(c) == Measures::Kaczmarz) {
        let (rows_per_dim, seed) = (c.protocol("rows_per_dim")? as usize, c.protocol("seed")? as u64);
        for s in profile.spectra(c) {
            let rows = rows_per_dim * s.parse::<theory::Spectrum>()?.d();
            out.push(Sweep::kaczmarz(s, rows, seed, batches, cell_done)?);
        }
    }
    Ok(out)
}

/// Runs the claims: one sweep per distinct spectrum (cells in parallel) with its Monte-Carlo
/// points, the networks of network claims on `training`'s backend, then each check; with
/// `figures`, each claim's figures are drawn into that directory.
pub fn verify(
    claims: &[ClaimSpec],
    profile: Profile,
    training: scaling::Training,
    figures: Option<&std::path::Path>,
    cell_done: &(dyn Fn() + Sync),
) -> Result<Report> {
    let batches = profile.batches();
    let mut sweeps = spectra(claims, profile)
        .iter()
        .map(|s| Sweep::run(s, &batches, profile.objective(), cell_done))
        .collect::<Result<Vec<_>>>()?;
    let plan = profile.monte_carlo();
    sweeps.iter_mut().for_each(|s| s.simulate(&plan, cell_done));
    sweeps.extend(kaczmarz_sweeps(claims, profile, &batches, cell_done)?);
    let results = claims
        .iter()
        .map(|c| {
            let kaczmarz = measures(c) == Measures::Kaczmarz;
            let mine: Vec<&Sweep> = match measures(c) {
                Measures::Simulation | Measures::Network => Vec::new(),
                _ => profile
                    .spectra(c)
                    .iter()
                    .map(|s| {
                        let matches =
                            |w: &&Sweep| &w.spec == s && matches!(w.problem, Problem::Kaczmarz { .. }) == kaczmarz;
                        sweeps.iter().find(matches).expect("swept above")
                    })
                    .collect(),
            };
            let mut result = if c.id == "C10" {
                transfer::evaluate(c, profile, training, cell_done)?
            } else if measures(c) == Measures::Network {
                scaling::evaluate(c, profile, training, cell_done)?
            } else if measures(c) == Measures::Simulation {
                let prefix = if profile == Profile::Smoke { "smoke_" } else { "" };
                let budget = exactness::Budget {
                    runs: c.protocol(&format!("{prefix}runs"))? as usize,
                    steps: c.protocol(&format!("{prefix}steps"))? as usize,
                };
                exactness::evaluate(c, &profile.spectra(c)[0], budget)?
            } else {
                claims::evaluate(c, &mine)?
            };
            if let Some(dir) = figures {
                result.figures = figures::draw(c, &result, &mine, dir)?;
            }
            Ok(result)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Report { profile, batches, claims: results, sweeps })
}
