//! Per-spectrum measurements shared by the claims: the tuned phase diagram of SGD, HB, NAG and
//! ASGD over the profile's batch grid, with T(B) the exact iterations to E[loss] <= 1e-4 E[loss_0]
//! (THEORY.md §4) at the tuned hyperparameters, and the saturation batch of each method (where
//! B T(B) reaches twice its B = 1 value, log-log interpolated; THEORY.md §5).

use crate::error::Result;
use serde::Serialize;
use theory::phase::saturation_batch;
use theory::{Family, Method, PhaseOptions, Spectrum, SpectrumSummary, Target, phase_with_progress};

/// The methods every sweep tunes.
pub const FAMILIES: [Family; 4] = [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd];

/// One tuned (method, B) cell.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub batch: f64,
    pub method: Method,
    pub rate: f64,
    /// Exact T(B); None when not reached within the step budget.
    pub iterations: Option<f64>,
}

/// The measurements on one spectrum.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub spec: String,
    #[serde(skip)]
    pub spectrum: Spectrum,
    pub summary: SpectrumSummary,
    pub batches: Vec<f64>,
    pub points: Vec<(Family, Vec<Point>)>,
}

impl Sweep {
    /// Tunes every family at every batch size (parallel over cells); `cell_done` ticks per cell.
    pub fn run(
        spec: &str,
        batches: &[f64],
        objective: theory::Objective,
        cell_done: &(dyn Fn() + Sync),
    ) -> Result<Sweep> {
        let spectrum: Spectrum = spec.parse()?;
        let options = PhaseOptions { objective, target: Target::default(), exact: true };
        let diagram = phase_with_progress(&spectrum, &FAMILIES, batches, options, cell_done)?;
        let points = FAMILIES
            .iter()
            .map(|&f| {
                let rows = diagram.rows.iter().filter(|r| r.family == f);
                let points = rows
                    .map(|r| Point {
                        batch: r.batch,
                        method: r.method,
                        rate: r.assessment.rate,
                        iterations: r.assessment.iterations_to_target.map(|t| t as f64),
                    })
                    .collect();
                (f, points)
            })
            .collect();
        Ok(Sweep { spec: spec.into(), summary: spectrum.summary(), spectrum, batches: batches.to_vec(), points })
    }

    /// The tuned points of one family, in batch order.
    pub fn family(&self, family: Family) -> &[Point] {
        &self.points.iter().find(|(f, _)| *f == family).expect("every sweep has all FAMILIES").1
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
