//! Many independent runs in parallel (rayon). Run r draws from its own stream ([`crate::Rng`]) seeded by
//! (seed, r), and runs are reduced in index order, so every output is byte-identical at any
//! thread count. Divergent runs are counted and left out of the statistics, never averaged in.

use crate::Rng;
use crate::problem::Problem;
use crate::rng::splitmix64;
use crate::run::{Trajectory, run};
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use theory::Method;

/// What to simulate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnsembleConfig {
    /// The number of independent runs.
    pub runs: usize,
    /// Steps per run.
    pub steps: usize,
    /// Sorted step indices at which losses are recorded (0 included).
    pub checkpoints: Vec<usize>,
    /// The seed of every run's stream (run r draws from SplitMix64 of (seed, r)).
    pub seed: u64,
    /// Target for the per-run iterations to target: loss <= eps loss_0.
    pub eps: f64,
}

impl EnsembleConfig {
    /// `count` checkpoints spread evenly over 0..=steps.
    pub fn even_checkpoints(steps: usize, count: usize) -> Vec<usize> {
        let count = count.clamp(2, steps + 1);
        let mut c: Vec<usize> = (0..count).map(|i| (i * steps + (count - 1) / 2) / (count - 1)).collect();
        c.dedup();
        c
    }
}

/// Statistics of the loss at one checkpoint over the runs alive there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Checkpoint {
    /// The step index.
    pub step: usize,
    /// Runs that had not diverged by this step.
    pub alive: usize,
    /// The mean loss over the runs alive.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// The 10 % quantile of the loss (linear interpolation between order statistics).
    pub q10: f64,
    /// The median loss.
    pub q50: f64,
    /// The 90 % quantile of the loss.
    pub q90: f64,
}

/// The empirical per-step rate of the mean loss with a confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RateFit {
    /// exp(slope) of ln(mean loss) against the step: the per-step rate.
    pub rate: f64,
    /// Its two-sided confidence interval (jackknife over groups of runs, Student t).
    pub ci: [f64; 2],
    /// Checkpoint indices of the fitting window.
    pub window: [usize; 2],
}

/// An ensemble against its exact curve: what `momlab simulate` (and the Python package) report
/// beside the per-checkpoint statistics. See [`Ensemble::against`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// The empirical rate over the second half of the checkpoints (checkpoint indices
    /// [n/2, n-1]), 95 % jackknife interval over 20 groups of runs ([`Ensemble::fit_rate`]).
    pub fit: Option<RateFit>,
    /// The exact curve's rate over the same steps, (E\[loss\]_to / E\[loss\]_from)^(1/(to - from)).
    pub theory_window_rate: Option<f64>,
    /// Mean and standard error of the loss at the last checkpoint (None when no run survived).
    pub last: Option<(f64, f64)>,
    /// How many runs reached the target.
    pub reached_target: usize,
    /// Their mean number of iterations to it (None when none did).
    pub mean_iterations_to_target: Option<f64>,
}

/// The exact curve at `step` (infinite past its end or where it is not finite).
pub fn curve_at(curve: &[f64], step: usize) -> f64 {
    curve.get(step).copied().filter(|x| x.is_finite()).unwrap_or(f64::INFINITY)
}

/// The result of an ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    /// Statistics at every requested checkpoint, in order.
    pub checkpoints: Vec<Checkpoint>,
    /// Per run: iterations to target (None if not reached or diverged).
    pub hits: Vec<Option<usize>>,
    /// Runs stopped by [`theory::diverged`].
    pub diverged_runs: usize,
    /// Losses at the checkpoints, run by run (shorter rows for diverged runs).
    losses: Vec<Vec<f64>>,
}

/// The seed of run `r`: SplitMix64 of (seed, r), so streams differ for every pair.
fn run_seed(seed: u64, r: u64) -> u64 {
    splitmix64(seed ^ splitmix64(r))
}

/// Runs `config.runs` independent trajectories of `method` on `problem`.
pub fn ensemble(problem: &dyn Problem, method: &Method, config: &EnsembleConfig) -> Ensemble {
    ensemble_with_progress(problem, method, config, &|| {})
}

/// [`ensemble`], calling `run_done` as each run ends (from the worker threads).
pub fn ensemble_with_progress(
    problem: &dyn Problem,
    method: &Method,
    config: &EnsembleConfig,
    run_done: &(dyn Fn() + Sync),
) -> Ensemble {
    let trajectories: Vec<Trajectory> = (0..config.runs)
        .into_par_iter()
        .map(|r| {
            let mut rng = Rng::seed_from_u64(run_seed(config.seed, r as u64));
            let e0 = problem.initial_error(&mut rng);
            let t = run(problem, method, e0, config.steps, &config.checkpoints, config.eps, &mut rng);
            run_done();
            t
        })
        .collect();
    let checkpoints = config
        .checkpoints
        .iter()
        .enumerate()
        .map(|(k, &step)| {
            let mut values: Vec<f64> = trajectories.iter().filter_map(|t| t.losses.get(k).copied()).collect();
            statistics(step, &mut values)
        })
        .collect();
    Ensemble {
        checkpoints,
        hits: trajectories.iter().map(|t| t.hit).collect(),
        diverged_runs: trajectories.iter().filter(|t| t.diverged_at.is_some()).count(),
        losses: trajectories.into_iter().map(|t| t.losses).collect(),
    }
}

fn statistics(step: usize, values: &mut [f64]) -> Checkpoint {
    let n = values.len();
    if n == 0 {
        return Checkpoint {
            step,
            alive: 0,
            mean: f64::NAN,
            se: f64::NAN,
            q10: f64::NAN,
            q50: f64::NAN,
            q90: f64::NAN,
        };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 { values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
    values.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (n - 1) as f64;
        let (i, frac) = (pos.floor() as usize, pos.fract());
        values[i] + frac * (values[(i + 1).min(n - 1)] - values[i])
    };
    Checkpoint { step, alive: n, mean, se: (var / n as f64).sqrt(), q10: q(0.1), q50: q(0.5), q90: q(0.9) }
}

/// The largest deviation of the Monte-Carlo mean from a reference curve, in standard errors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Deviation {
    /// The checkpoint's step.
    pub step: usize,
    /// The Monte-Carlo mean loss there.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// The reference curve at that step.
    pub reference: f64,
    /// (mean - reference) / se.
    pub z: f64,
}

impl Ensemble {
    /// The checkpoint where |mean - reference\[step\]| / se is largest (reference indexed by step);
    /// None when no checkpoint has surviving runs. A zero SE counts as the smallest positive one.
    pub fn worst_deviation(&self, reference: &[f64]) -> Option<Deviation> {
        self.checkpoints
            .iter()
            .filter(|c| c.alive > 0 && c.step < reference.len())
            .map(|c| Deviation {
                step: c.step,
                mean: c.mean,
                se: c.se,
                reference: reference[c.step],
                z: (c.mean - reference[c.step]) / c.se.max(f64::MIN_POSITIVE),
            })
            .max_by(|a, b| a.z.abs().total_cmp(&b.z.abs()))
    }

    /// The last recorded loss of every run that never diverged.
    pub fn final_losses(&self) -> Vec<f64> {
        self.survivors().filter_map(|l| l.last().copied()).collect()
    }

    /// Runs that never diverged.
    fn survivors(&self) -> impl Iterator<Item = &Vec<f64>> {
        let full = self.checkpoints.len();
        self.losses.iter().filter(move |l| l.len() == full)
    }

    /// This ensemble against the exact curve `curve` (E\[loss_t\] for t = 0, 1, ...). See
    /// [`Comparison`].
    pub fn against(&self, curve: &[f64]) -> Comparison {
        let n = self.checkpoints.len();
        let window = [n / 2, n.saturating_sub(1)];
        let fit = self.fit_rate(window, 20, 0.95);
        let [from, to] = window.map(|k| self.checkpoints.get(k).map_or(0, |c| c.step));
        let theory_window_rate = Some((curve_at(curve, to) / curve_at(curve, from)).powf(1.0 / (to - from) as f64))
            .filter(|r| r.is_finite() && to > from);
        let hits: Vec<usize> = self.hits.iter().flatten().copied().collect();
        Comparison {
            fit,
            theory_window_rate,
            last: self.checkpoints.last().filter(|c| c.alive > 0).map(|c| (c.mean, c.se)),
            reached_target: hits.len(),
            mean_iterations_to_target: (!hits.is_empty())
                .then(|| hits.iter().sum::<usize>() as f64 / hits.len() as f64),
        }
    }

    /// The per-step rate of the mean loss over checkpoints `window = [k0, k1]`: the least-squares
    /// slope of ln(mean loss) against the step, exponentiated. Its two-sided interval at confidence
    /// `level` (0.95 for the usual 95 %) comes from a
    /// delete-one-group jackknife over `groups` contiguous groups of surviving runs (runs are
    /// independent; checkpoints of one run are not) with Student-t quantiles on groups - 1
    /// degrees of freedom. None when fewer than 2 checkpoints or groups are available.
    pub fn fit_rate(&self, window: [usize; 2], groups: usize, level: f64) -> Option<RateFit> {
        let [k0, k1] = window;
        let runs: Vec<&Vec<f64>> = self.survivors().collect();
        if k1 <= k0 || k1 >= self.checkpoints.len() || groups < 2 || runs.len() < groups {
            return None;
        }
        let steps: Vec<f64> = self.checkpoints[k0..=k1].iter().map(|c| c.step as f64).collect();
        let slope_without = |skip: Option<usize>| {
            let chosen: Vec<&&Vec<f64>> = runs
                .iter()
                .enumerate()
                .filter(|(i, _)| skip != Some(i * groups / runs.len()))
                .map(|(_, r)| r)
                .collect();
            let log_mean: Vec<f64> =
                (k0..=k1).map(|k| (chosen.iter().map(|r| r[k]).sum::<f64>() / chosen.len() as f64).ln()).collect();
            theory::fit::least_squares(&steps, &log_mean).map_or(f64::NAN, |l| l.slope)
        };
        let full = slope_without(None);
        let partial: Vec<f64> = (0..groups).map(|g| slope_without(Some(g))).collect();
        let mean = partial.iter().sum::<f64>() / groups as f64;
        let var = (groups - 1) as f64 / groups as f64 * partial.iter().map(|s| (s - mean).powi(2)).sum::<f64>();
        let t = StudentsT::new(0.0, 1.0, (groups - 1) as f64).ok()?.inverse_cdf(0.5 + level / 2.0);
        let half = t * var.sqrt();
        Some(RateFit { rate: full.exp(), ci: [(full - half).exp(), (full + half).exp()], window })
    }
}
