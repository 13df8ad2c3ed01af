//! Per-spectrum measurements shared by the claims: the tuned phase diagram of SGD, HB, NAG and
//! ASGD over the profile's batch grid, with T(B) the exact iterations to E\[loss\] <= 1e-4 E\[loss_0\]
//! (docs/theory.md §4) at the tuned hyperparameters, and the saturation batch of each method (where
//! B T(B) reaches twice its B = 1 value, log-log interpolated; docs/theory.md §5).
//!
//! The same measurements on randomized Kaczmarz (docs/theory.md §6): a generated consistent system
//! whose A^T A has the spectrum, SGD and HB tuned for T(eps) of the exact finite-sum recursion,
//! mini-batches of rows drawn with replacement.

use crate::error::Result;
use crate::montecarlo::{SimulatedT, simulated_t};
use crate::profile::MonteCarlo;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use theory::finite_sum::{FiniteSum, Sampling};
use theory::phase::saturation_batch;
use theory::{
    Family, Method, Objective, PhaseOptions, Spectrum, SpectrumSummary, Target, phase_with_progress,
    tune_finite_sum_along,
};

/// The methods a Gaussian sweep tunes.
pub const FAMILIES: [Family; 4] = [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd];

/// The methods a Kaczmarz sweep tunes (what C2–C4 compare).
pub const KACZMARZ_FAMILIES: [Family; 2] = [Family::Sgd, Family::Hb];

/// The problem a sweep is measured on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SweepProblem {
    /// Streaming regression with Gaussian covariates of covariance H (exact O(d) recursion).
    Gaussian,
    /// Randomized Kaczmarz on a generated n x d system (exact finite-sum recursion).
    Kaczmarz { rows: usize, seed: u64 },
}

/// One tuned (method, B) cell.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TunedPoint {
    pub batch: f64,
    pub method: Method,
    /// Asymptotic per-step rate (Gaussian sweeps; not computed for finite sums).
    pub rate: Option<f64>,
    /// Exact T(B); None when not reached within the step budget.
    pub iterations: Option<f64>,
}

/// The measurements on one spectrum.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TunedSweep {
    pub spec: String,
    pub problem: SweepProblem,
    pub summary: SpectrumSummary,
    pub batches: Vec<f64>,
    pub points: Vec<(Family, Vec<TunedPoint>)>,
    /// Monte-Carlo T(B) at a few cells (figures; Gaussian sweeps only).
    pub simulated: Vec<SimulatedT>,
}

impl TunedSweep {
    /// Tunes every family for T(eps) along the batch grid (warm starts; families in parallel);
    /// `cell_done` ticks per cell.
    pub fn run(spec: &str, batches: &[f64], cell_done: &(dyn Fn() + Sync)) -> Result<TunedSweep> {
        let spectrum: Spectrum = spec.parse()?;
        let options = PhaseOptions { objective: Objective::Target, target: Target::default(), exact: true };
        let diagram = phase_with_progress(&spectrum, &FAMILIES, batches, options, cell_done)?;
        let points = FAMILIES
            .iter()
            .map(|&f| {
                let rows = diagram.rows.iter().filter(|r| r.family == f);
                let points = rows
                    .map(|r| TunedPoint {
                        batch: r.batch,
                        method: r.method,
                        rate: Some(r.assessment.rate),
                        iterations: r.assessment.iterations_to_target.map(|t| t as f64),
                    })
                    .collect();
                (f, points)
            })
            .collect();
        Ok(TunedSweep {
            spec: spec.into(),
            problem: SweepProblem::Gaussian,
            summary: spectrum.summary(),
            batches: batches.to_vec(),
            points,
            simulated: Vec::new(),
        })
    }

    /// SGD and HB on randomized Kaczmarz: a `rows` x d system with seed `seed` whose A^T A has
    /// spectrum `spec`; each method tuned along the batches (warm starts) for the exact finite-sum
    /// T(eps), the methods in parallel. The summary (tr/L, B_hb, kappa) is that of H = A^T A / |A|_F^2.
    pub fn kaczmarz(
        spec: &str,
        rows: usize,
        seed: u64,
        batches: &[f64],
        cell_done: &(dyn Fn() + Sync),
    ) -> Result<TunedSweep> {
        let sum = kaczmarz_sum(spec, rows, seed)?;
        let spectrum = sum.spectrum()?;
        let sizes: Vec<usize> = batches.iter().map(|&b| b as usize).collect();
        let points = KACZMARZ_FAMILIES
            .par_iter()
            .map(|&family| {
                let tuned = tune_finite_sum_along(
                    &sum,
                    family,
                    &sizes,
                    Sampling::WithReplacement,
                    Target::default(),
                    cell_done,
                )?;
                let points = batches.iter().zip(tuned).map(|(&batch, t)| TunedPoint {
                    batch,
                    method: t.method,
                    rate: None,
                    iterations: t.iterations.map(|i| i as f64),
                });
                Ok((family, points.collect()))
            })
            .collect::<theory::Result<Vec<_>>>()?;
        Ok(TunedSweep {
            spec: spec.into(),
            problem: SweepProblem::Kaczmarz { rows, seed },
            summary: spectrum.summary(),
            batches: batches.to_vec(),
            points,
            simulated: Vec::new(),
        })
    }

    /// Simulates T(B) of SGD and HB at the grid batches in `plan` whose cost runs x T x d stays
    /// within the plan's budget (Gaussian sweeps; `montecarlo`); `cell_done` ticks per cell.
    pub fn simulate(&mut self, plan: &MonteCarlo, cell_done: &(dyn Fn() + Sync)) -> Result<()> {
        let spectrum = self.spectrum()?;
        for family in KACZMARZ_FAMILIES {
            for point in self.family(family).to_vec() {
                if !plan.batches.contains(&point.batch) {
                    continue;
                }
                let affordable =
                    point.iterations.filter(|t| plan.runs as f64 * t * self.summary.d as f64 <= plan.budget);
                if let Some(exact) = affordable {
                    let seed = plan.seed + self.simulated.len() as u64;
                    let batch = point.batch as usize;
                    self.simulated.push(simulated_t(&spectrum, family, &point.method, batch, exact, plan.runs, seed)?);
                }
                cell_done();
            }
        }
        Ok(())
    }

    /// The spectrum measured on: the parsed `spec` (Gaussian), or that of the generated system's
    /// A^T A / |A|_F^2 (Kaczmarz; regenerated from its seed, bit for bit).
    pub fn spectrum(&self) -> Result<Spectrum> {
        Ok(match self.problem {
            SweepProblem::Gaussian => self.spec.parse()?,
            SweepProblem::Kaczmarz { rows, seed } => kaczmarz_sum(&self.spec, rows, seed)?.spectrum()?,
        })
    }

    /// The tuned points of one family, in batch order.
    pub fn family(&self, family: Family) -> &[TunedPoint] {
        &self.points.iter().find(|(f, _)| *f == family).expect("claims read only the families their sweeps tune").1
    }

    /// T(B) of a family (infinite where not reached).
    pub fn iterations(&self, family: Family) -> Vec<f64> {
        self.family(family).iter().map(|p| p.iterations.unwrap_or(f64::INFINITY)).collect()
    }

    /// B T(B) of a family.
    pub fn compute(&self, family: Family) -> Vec<f64> {
        self.iterations(family).iter().zip(&self.batches).map(|(t, b)| t * b).collect()
    }

    /// The measured saturation batch of a family; None if B T(B) never doubles on the grid.
    pub fn saturation(&self, family: Family) -> Option<f64> {
        saturation_batch(&self.batches, &self.compute(family))
    }

    /// max_B CE(B) = max_B 1/(B T(B)).
    pub fn best_efficiency(&self, family: Family) -> f64 {
        self.compute(family).iter().map(|c| 1.0 / c).fold(0.0, f64::max)
    }

    pub fn kappa(&self) -> f64 {
        self.summary.kappa
    }
}

/// The Kaczmarz finite sum of a generated `rows` x d system whose A^T A has spectrum `spec`.
fn kaczmarz_sum(spec: &str, rows: usize, seed: u64) -> Result<FiniteSum> {
    Ok(FiniteSum::kaczmarz(&FiniteSum::random_system(rows, &spec.parse()?, seed)?)?)
}
