//! T(B) measured by simulation, for the T(B) figures: an ensemble of Gaussian-regression runs
//! (sim's exact chi-square sampler, docs/theory.md §7) of a tuned method, and the first step at which
//! the Monte-Carlo mean loss crosses eps E\[loss_0\] (E\[loss_0\] = tr(H)/(2d) exactly for the
//! N(0, I/d) start). The interval is where mean ∓ 2 SE cross the same level: the steps at which
//! the mean loss is, at about 95 % pointwise confidence, not yet / already below the target.
//! Checkpoints are dense around the exact T (from 0.5 T to 1.5 T), and crossings are
//! interpolated log-linearly between checkpoints.

use serde::{Deserialize, Serialize};
use sim::{Checkpoint, EnsembleConfig, GaussianRegression, Sampler, ensemble};
use theory::{Family, Method, Spectrum, Target};

/// Checkpoints between 0.5 T and 1.5 T.
const CHECKPOINTS: usize = 81;

/// One simulated T(B).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimulatedT {
    pub family: Family,
    pub batch: f64,
    pub runs: usize,
    /// T(eps) of the exact curve at the same parameters (where the checkpoints are centred).
    pub exact: f64,
    /// First crossing of the Monte-Carlo mean; None if not inside [0.5 T, 1.5 T].
    pub iterations: Option<f64>,
    /// Crossings of mean - 2 SE and mean + 2 SE; an end is None when outside the window.
    pub interval: [Option<f64>; 2],
    pub diverged_runs: usize,
}

/// Simulates `runs` runs of `method` (of `family`) at batch size `batch` on `spectrum`, `exact`
/// being its exact T; an error when the batch cannot be simulated (batch 0).
pub fn simulated_t(
    spectrum: &Spectrum,
    family: Family,
    method: &Method,
    batch: usize,
    exact: f64,
    runs: usize,
    seed: u64,
) -> theory::Result<SimulatedT> {
    let eps = Target::default().eps;
    let (lo, hi) = ((0.5 * exact).floor() as usize, (1.5 * exact).ceil() as usize);
    let mut checkpoints: Vec<usize> =
        (0..CHECKPOINTS).map(|k| lo + (k * (hi - lo) + CHECKPOINTS / 2) / (CHECKPOINTS - 1)).collect();
    checkpoints.dedup();
    let config = EnsembleConfig { runs, steps: hi, checkpoints, seed, eps };
    let problem = GaussianRegression::new(spectrum, batch, Sampler::ChiSquare)?;
    let e = ensemble(&problem, method, &config);
    let target = theory::dynamics::isotropic_target(spectrum, eps);
    let at = |shift: f64| crossing(&e.checkpoints, target, |c| c.mean + shift * c.se);
    Ok(SimulatedT {
        family,
        batch: batch as f64,
        runs,
        exact,
        iterations: at(0.0),
        interval: [at(-2.0), at(2.0)],
        diverged_runs: e.diverged_runs,
    })
}

/// The first step at which `value` falls to `target`, log-linearly interpolated between
/// checkpoints; None if it is below at the first checkpoint or never gets there.
fn crossing(checkpoints: &[Checkpoint], target: f64, value: impl Fn(&Checkpoint) -> f64) -> Option<f64> {
    let above = |c: &Checkpoint| c.alive > 0 && (value(c) > target || value(c).is_nan());
    let k = checkpoints.iter().position(|c| !above(c))?;
    if k == 0 {
        return None;
    }
    let (a, b) = (&checkpoints[k - 1], &checkpoints[k]);
    let (va, vb) = (value(a), value(b));
    let frac = if vb > 0.0 { (va / target).ln() / (va / vb).ln() } else { (va - target) / (va - vb) };
    Some(a.step as f64 + frac.clamp(0.0, 1.0) * (b.step - a.step) as f64)
}
