//! momentum-lab compare: every claim of the source papers (docs/theory.md §1) as a check with a
//! verdict. Claims live in `experiments/<id>.toml` ([`registry`]); the profile ([`profile`])
//! sets how much is measured; [`sweep`] holds the per-spectrum measurements the claims share;
//! [`claims`] decides each verdict ([`verdict`]); [`report`] renders the table and report.md.
//!
//! A tuned sweep and a verdict on it: T(B) of tuned SGD and heavy ball on one spectrum, and
//! "heavy ball is no slower than SGD at any batch" decided as a check.
//!
//! ```
//! use compare::Verdict;
//! use compare::sweep::TunedSweep;
//! use theory::Family;
//!
//! // Every family tuned for the exact T(1e-4) at B = 1, 4, 16 (docs/theory.md §4, §5).
//! let sweep = TunedSweep::run("power:d=10,a=1", &[1.0, 4.0, 16.0], &|| {})?;
//! let (sgd, hb) = (sweep.iterations(Family::Sgd), sweep.iterations(Family::Hb));
//! // Tuned T(B) never increases with B (§9.5).
//! assert!(sgd.windows(2).all(|t| t[1] <= t[0]));
//! let verdict = Verdict::all(sgd.iter().zip(&hb).map(|(s, h)| Verdict::at_most(Some(*h), 1.01 * s)));
//! assert_eq!(verdict, Verdict::Pass);
//! # Ok::<(), compare::Error>(())
//! ```

pub mod claims;
pub mod error;
pub mod figure;
pub mod figures;
pub mod legend;
pub mod montecarlo;
pub mod profile;
pub mod registry;
pub mod report;
pub mod sweep;
pub mod verdict;

pub use claims::ClaimResult;
pub use error::{Error, Result};
pub use profile::Profile;
pub use registry::{ClaimSpec, Kind};
pub use report::Report;
pub use verdict::Verdict;

use serde::{Deserialize, Serialize};
use sweep::{FAMILIES, KACZMARZ_FAMILIES, SweepProblem, TunedSweep};

/// Where the networks of a claim train (C9, C10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub backend: nn::Backend,
    pub precision: nn::Precision,
}

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
    match claim.kind {
        Kind::Exactness => Measures::Simulation,
        Kind::KaczmarzBatchLaws => Measures::Kaczmarz,
        Kind::MomentumScaling | Kind::BatchTransfer => Measures::Network,
        _ => Measures::Gaussian,
    }
}

/// The spectra claim `c` measures on under `profile` (C8: its systems and its window family).
fn claim_spectra(c: &ClaimSpec, profile: Profile) -> Result<Vec<String>> {
    match c.kind {
        Kind::KaczmarzBatchLaws => claims::c8_kaczmarz::spectra(c, profile),
        _ => Ok(profile.spectra(c).to_vec()),
    }
}

/// The distinct spectra that claims measuring on `kind` need under `profile`, in first-use order.
fn spectra_for(claims: &[ClaimSpec], profile: Profile, kind: Measures) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in claims.iter().filter(|c| measures(c) == kind) {
        for s in claim_spectra(c, profile)? {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// The distinct spectra the Gaussian sweeps need under `profile`, in first-use order.
pub fn spectra(claims: &[ClaimSpec], profile: Profile) -> Result<Vec<String>> {
    spectra_for(claims, profile, Measures::Gaussian)
}

/// One independent cell of `verify`'s work; claims that share a spectrum share its cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unit {
    /// The tuned Gaussian sweep of one spectrum with its Monte-Carlo T(B) points (C2–C7).
    Gaussian { spec: String },
    /// The tuned randomized-Kaczmarz sweep of a generated `rows` x d system (C8).
    Kaczmarz { spec: String, rows: usize, seed: u64 },
    /// A claim that measures on its own: C1 (Monte Carlo), C9 and C10 (networks).
    Claim { id: String },
}

impl Unit {
    /// Whether this unit trains networks with Burn (C9, C10).
    pub fn trains(&self, claims: &[ClaimSpec]) -> bool {
        matches!(self, Unit::Claim { id } if claims.iter().any(|c| &c.id == id && measures(c) == Measures::Network))
    }

    /// A short human-readable name, e.g. `gaussian power:d=50,a=1`.
    pub fn label(&self) -> String {
        match self {
            Unit::Gaussian { spec } => format!("gaussian {spec}"),
            Unit::Kaczmarz { spec, rows, seed } => format!("kaczmarz {spec} rows={rows} seed={seed}"),
            Unit::Claim { id } => format!("claim {id}"),
        }
    }

    /// The number of progress ticks [`measure`] makes on this cell: tuned cells, Monte-Carlo
    /// cells and training runs (1 for a claim that does not tick).
    pub fn work(&self, claims: &[ClaimSpec], profile: Profile) -> Result<u64> {
        let batches = profile.batches().len();
        Ok(match self {
            Unit::Gaussian { .. } => {
                (FAMILIES.len() * batches + KACZMARZ_FAMILIES.len() * profile.monte_carlo().batches.len()) as u64
            }
            Unit::Kaczmarz { .. } => (KACZMARZ_FAMILIES.len() * batches) as u64,
            Unit::Claim { id } => match claim(claims, id)? {
                c if c.kind == Kind::BatchTransfer => claims::c10_batch_transfer::runs(c, profile)?,
                c if measures(c) == Measures::Network => claims::c9_momentum_scaling::runs(c, profile)?,
                _ => 1,
            },
        })
    }
}

/// What a [`Unit`] measured: a sweep, or a claim's whole result.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measurement {
    Sweep(TunedSweep),
    Claim(ClaimResult),
}

fn claim<'a>(claims: &'a [ClaimSpec], id: &str) -> Result<&'a ClaimSpec> {
    claims.iter().find(|c| c.id == id).ok_or_else(|| Error::Selection(format!("no claim '{id}' in this run")))
}

/// The cells of `claims` under `profile`: Gaussian sweeps, Kaczmarz sweeps (system shape and
/// seed from each C8-type claim's protocol), then the claims that measure on their own.
pub fn plan(claims: &[ClaimSpec], profile: Profile) -> Result<Vec<Unit>> {
    let mut units: Vec<Unit> = spectra(claims, profile)?.into_iter().map(|spec| Unit::Gaussian { spec }).collect();
    for c in claims.iter().filter(|c| measures(c) == Measures::Kaczmarz) {
        let protocol: claims::c8_kaczmarz::Protocol = c.typed_protocol()?;
        for spec in claim_spectra(c, profile)? {
            let rows = protocol.rows_per_dim * spec.parse::<theory::Spectrum>()?.d();
            let unit = Unit::Kaczmarz { spec, rows, seed: protocol.seed };
            if !units.contains(&unit) {
                units.push(unit);
            }
        }
    }
    let alone = claims.iter().filter(|c| matches!(measures(c), Measures::Simulation | Measures::Network));
    units.extend(alone.map(|c| Unit::Claim { id: c.id.clone() }));
    Ok(units)
}

/// Measures one cell; `cell_done` ticks [`Unit::work`] times (tuned cells in parallel).
pub fn measure(
    unit: &Unit,
    claims: &[ClaimSpec],
    profile: Profile,
    training: Training,
    cell_done: &(dyn Fn() + Sync),
) -> Result<Measurement> {
    let batches = profile.batches();
    Ok(match unit {
        Unit::Gaussian { spec } => {
            let mut sweep = TunedSweep::run(spec, &batches, cell_done)?;
            sweep.simulate(&profile.monte_carlo(), cell_done)?;
            Measurement::Sweep(sweep)
        }
        Unit::Kaczmarz { spec, rows, seed } => {
            Measurement::Sweep(TunedSweep::kaczmarz(spec, *rows, *seed, &batches, cell_done)?)
        }
        Unit::Claim { id } => {
            let c = claim(claims, id)?;
            Measurement::Claim(match measures(c) {
                _ if c.kind == Kind::BatchTransfer => {
                    claims::c10_batch_transfer::evaluate(c, profile, training, cell_done)?
                }
                Measures::Network => claims::c9_momentum_scaling::evaluate(c, profile, training, cell_done)?,
                _ => claims::c1_exactness::evaluate(c, &profile.spectra(c)[0], profile)?,
            })
        }
    })
}

/// The report from the measurements of [`plan`]'s cells (in its order): each claim's verdict
/// from the sweeps of its spectra, or its own result; with `figures`, each claim's figures are
/// drawn into that directory.
pub fn judge(
    claims: &[ClaimSpec],
    profile: Profile,
    measurements: Vec<Measurement>,
    figures: Option<&std::path::Path>,
) -> Result<Report> {
    let mut sweeps = Vec::new();
    let mut own = Vec::new();
    for m in measurements {
        match m {
            Measurement::Sweep(s) => sweeps.push(s),
            Measurement::Claim(r) => own.push(r),
        }
    }
    let results = claims
        .iter()
        .map(|c| {
            let kaczmarz = measures(c) == Measures::Kaczmarz;
            let mine: Vec<&TunedSweep> = match measures(c) {
                Measures::Simulation | Measures::Network => Vec::new(),
                _ => claim_spectra(c, profile)?
                    .iter()
                    .map(|s| {
                        let matches = |w: &&TunedSweep| {
                            &w.spec == s && matches!(w.problem, SweepProblem::Kaczmarz { .. }) == kaczmarz
                        };
                        sweeps.iter().find(matches).ok_or_else(|| missing(c, s))
                    })
                    .collect::<Result<_>>()?,
            };
            let mut result = match measures(c) {
                Measures::Simulation | Measures::Network => {
                    own.iter().find(|r| r.id == c.id).cloned().ok_or_else(|| missing(c, "its own cell"))?
                }
                _ => claims::evaluate(c, &mine)?,
            };
            if let Some(dir) = figures {
                result.figures = figures::draw(c, &result, &mine, dir)?;
            }
            Ok(result)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Report { profile, batches: profile.batches(), claims: results, sweeps })
}

fn missing(c: &ClaimSpec, what: &str) -> Error {
    Error::Selection(format!("claim {} lacks the measurement of {what}", c.id))
}
