//! Phase diagram over batch sizes: for every (method, B), tuned
//! parameters, serial runtime T(B), compute B T(B) and compute efficiency CE(B) = 1 / (B T(B)),
//! and each method's measured saturation batch size: the B at which B T(B) reaches twice its
//! value at the smallest batch of the grid (log-log interpolation between grid points).

use crate::assess::Assessment;
use crate::error::Result;
use crate::invalid;
use crate::method::{Family, Method};
use crate::spectrum::Spectrum;
use crate::tune::{Objective, Target, tune_along};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One cell of the diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseRow {
    /// The method family tuned in this cell.
    pub family: Family,
    /// The batch size B.
    pub batch: f64,
    /// The tuned hyperparameters.
    pub method: Method,
    /// Rate and iteration counts of the tuned method.
    pub assessment: Assessment,
    /// T(B) under the objective: asymptotic for `rate`, exact for `target` (None if not reached).
    pub iterations: Option<f64>,
    /// B T(B), gradient queries to the target.
    pub compute: Option<f64>,
}

/// Saturation batch of one method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    /// The method family.
    pub family: Family,
    /// None when B T(B) never doubles on the grid.
    pub batch: Option<f64>,
}

/// How the diagram is computed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseOptions {
    /// What the tuning minimises; T(B) follows it (asymptotic for `rate`, exact for `target`).
    pub objective: Objective,
    /// eps and the step budget of T(eps).
    pub target: Target,
    /// Also run the exact curve at each tuned point under the `rate` objective, so that both
    /// iteration counts are reported (docs/theory.md §4); `target` always does.
    pub exact: bool,
}

impl Default for PhaseOptions {
    fn default() -> Self {
        PhaseOptions { objective: Objective::Rate, target: Target::default(), exact: true }
    }
}

/// The whole diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseDiagram {
    /// How the diagram was computed.
    pub options: PhaseOptions,
    /// One row per (family, batch) cell, families in the order asked for, batches increasing.
    pub rows: Vec<PhaseRow>,
    /// The saturation batch of each family (where B T(B) reaches twice its smallest-B value).
    pub saturation: Vec<Saturation>,
}

/// Tunes every (family, batch) cell, the families in parallel and each family along the batches
/// with warm starts ([`crate::tune::tune_along`], so every family's tuned T(B) is
/// non-increasing in B); the output order (families, then batches as given) and every number are
/// independent of the thread count.
pub fn phase(spectrum: &Spectrum, families: &[Family], batches: &[f64], options: PhaseOptions) -> Result<PhaseDiagram> {
    phase_with_progress(spectrum, families, batches, options, &|| {})
}

/// [`phase`], calling `cell_done` once after each finished cell (from worker threads).
pub fn phase_with_progress(
    spectrum: &Spectrum,
    families: &[Family],
    batches: &[f64],
    options: PhaseOptions,
    cell_done: &(dyn Fn() + Sync),
) -> Result<PhaseDiagram> {
    grid(families, batches)?;
    let rows = families
        .par_iter()
        .map(|&family| phase_family(spectrum, family, batches, options, cell_done))
        .collect::<Result<Vec<_>>>()?;
    Ok(assemble(families, batches, options, rows.into_iter().flatten().collect()))
}

/// The (family, batch) cells of a diagram, families outermost; an error unless there is at
/// least one of each and the batches are >= 1 and strictly increasing.
pub fn grid(families: &[Family], batches: &[f64]) -> Result<Vec<(Family, f64)>> {
    if batches.is_empty() || families.is_empty() {
        return Err(invalid!("phase needs at least one method and one batch size"));
    }
    if let Some(b) = batches.iter().find(|b| b.is_nan() || **b < 1.0) {
        return Err(invalid!("batch sizes must be >= 1, got {b}"));
    }
    if batches.windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid!("batch sizes must be strictly increasing"));
    }
    Ok(families.iter().flat_map(|&f| batches.iter().map(move |&b| (f, b))).collect())
}

/// One family's row of the diagram: tuned along `batches` with warm starts for the objective,
/// each point assessed, with T(B) and B T(B); `cell_done` ticks per batch.
pub fn phase_family(
    spectrum: &Spectrum,
    family: Family,
    batches: &[f64],
    options: PhaseOptions,
    cell_done: &(dyn Fn() + Sync),
) -> Result<Vec<PhaseRow>> {
    let PhaseOptions { objective, target, exact } = options;
    let tuned = tune_along(spectrum, family, batches, objective, target, cell_done)?;
    let rows = batches.iter().zip(tuned).map(|(&batch, tuned)| {
        let assessment =
            Assessment::new(spectrum, &tuned.method, batch, target, exact || objective == Objective::Target);
        let iterations = match objective {
            Objective::Rate => assessment.iterations_asymptotic,
            Objective::Target => assessment.iterations_to_target.map(|t| t as f64),
        };
        PhaseRow { family, batch, method: tuned.method, assessment, iterations, compute: iterations.map(|t| t * batch) }
    });
    Ok(rows.collect())
}

/// The diagram from its rows (in [`grid`] order): each family's saturation batch.
pub fn assemble(families: &[Family], batches: &[f64], options: PhaseOptions, rows: Vec<PhaseRow>) -> PhaseDiagram {
    let saturation = families
        .iter()
        .map(|&family| {
            let compute: Vec<f64> =
                rows.iter().filter(|r| r.family == family).map(|r| r.compute.unwrap_or(f64::INFINITY)).collect();
            Saturation { family, batch: saturation_batch(batches, &compute) }
        })
        .collect();
    PhaseDiagram { options, rows, saturation }
}

/// The B where `compute` first reaches twice `compute[0]`, interpolated linearly in
/// (ln B, ln compute) between the bracketing grid points; None if it never does.
pub fn saturation_batch(batches: &[f64], compute: &[f64]) -> Option<f64> {
    let threshold = 2.0 * compute[0];
    let k = compute.iter().position(|&c| c >= threshold)?;
    if k == 0 || !compute[k].is_finite() {
        return Some(batches[k]);
    }
    let (b0, b1) = (batches[k - 1].ln(), batches[k].ln());
    let (c0, c1) = (compute[k - 1].ln(), compute[k].ln());
    Some((b0 + (threshold.ln() - c0) / (c1 - c0) * (b1 - b0)).exp())
}
