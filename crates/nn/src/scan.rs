//! The momentum scan of docs/theory.md §8: label-noise heavy ball from one interpolating point, for
//! every learning rate eta of a grid and every 1 - beta of a grid, several seeds each; the time
//! of a run is its number of steps until the implicit regulariser is at or below a threshold.
//!
//! ```text
//!     w0          = the end of phase 1 (noise-free GD to interpolation), computed once
//!     T(eta, beta, seed) = min { t : R(w_t) <= threshold },  checked every `record_every` steps
//!     log T(eta, beta)   = mean over seeds of log T(eta, beta, seed)   (geometric mean)
//! ```
//!
//! Per learning rate the grid of 1 - beta is walked upwards (smallest first), and a point's step
//! budget is min(`budget`, `cap` * the best geometric-mean time of the smaller 1 - beta at this
//! learning rate): far beyond the fastest momentum a run only has to show that it is slow, not
//! how slow. A run that does not reach the threshold within its budget (or diverges) is
//! censored: its point has no time, only the lower bound `budget`. The walks of all learning
//! rates advance together: the runs of every (eta, seed) at the k-th 1 - beta are one set of
//! replica batches ([`train::run_batched`]), so the scan is 1 - beta's grid length of batched
//! tensor programs. The walk is deterministic and a run's result does not depend on its batch,
//! so the scan does not depend on the thread count.

use crate::backend::{Backend, Precision};
use crate::error::{Error, Result};
use crate::schedule::Schedule;
use crate::tasks::{Started, Task};
use crate::train::{self, Config, Interpolation, Keep, Outcome, PhaseOne, Stop};
use serde::{Deserialize, Serialize};
use theory::Method;

/// What to scan. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MomentumGrid {
    /// The learning rates eta (> 0).
    pub lrs: Vec<f64>,
    /// The values of 1 - beta, increasing, in (0, 1].
    pub one_minus_beta: Vec<f64>,
    /// The run seeds (batches and label noise); the task and w0 are the same for all.
    pub seeds: Vec<u64>,
    /// The label-noise level eps.
    pub eps: f64,
    /// A run's time is the first checkpoint with the regulariser at or below this value.
    pub threshold: f64,
    /// The largest step budget of a run.
    pub budget: usize,
    /// Checkpoints every this many steps (the resolution of T).
    pub record_every: usize,
    /// A point's budget is at most `cap` times the best time so far at its learning rate (> 1).
    pub cap: f64,
}

impl MomentumGrid {
    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        if self.lrs.is_empty() || self.lrs.iter().any(|&l| !(l.is_finite() && l > 0.0)) {
            return bad(format!("the scan needs learning rates > 0, got {:?}", self.lrs));
        }
        let om = &self.one_minus_beta;
        if om.is_empty() || om.iter().any(|&x| !(x > 0.0 && x <= 1.0)) || om.windows(2).any(|w| w[0] >= w[1]) {
            return bad(format!("the values of 1 - beta must increase within (0, 1], got {om:?}"));
        }
        if self.seeds.is_empty() {
            return bad("the scan needs at least one seed".into());
        }
        if !(self.threshold.is_finite() && self.budget >= 1 && self.cap > 1.0) {
            return bad(format!(
                "the scan needs a finite threshold, a budget >= 1 and a cap > 1, got {}, {}, {}",
                self.threshold, self.budget, self.cap
            ));
        }
        Ok(())
    }
}

/// The runs at one (eta, 1 - beta).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lr: f64,
    pub one_minus_beta: f64,
    /// The step budget each run had.
    pub budget: usize,
    /// T per seed (in the grid's seed order); None: not reached within the budget or diverged.
    pub times: Vec<Option<usize>>,
    /// How many runs diverged.
    pub diverged: usize,
}

impl Point {
    /// The mean over seeds of log T; None when any run is censored.
    pub fn log_time(&self) -> Option<f64> {
        let logs: Option<Vec<f64>> = self.times.iter().map(|t| t.map(|t| (t.max(1) as f64).ln())).collect();
        logs.map(|l| l.iter().sum::<f64>() / l.len() as f64)
    }

    /// The standard error of the mean of log T over seeds (0 for one seed); None when censored.
    pub fn log_time_se(&self) -> Option<f64> {
        let mean = self.log_time()?;
        let n = self.times.len() as f64;
        if n < 2.0 {
            return Some(0.0);
        }
        let ss: f64 = self.times.iter().flatten().map(|&t| ((t.max(1) as f64).ln() - mean).powi(2)).sum();
        Some((ss / (n - 1.0) / n).sqrt())
    }
}

/// A whole scan: the start, the grid and one [`Point`] per (eta, 1 - beta), eta-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub task: String,
    pub task_config: serde_json::Value,
    pub regulariser: String,
    /// What phase 1 did, and the regulariser at w0.
    pub phase_one: PhaseOne,
    pub start_regulariser: f64,
    pub grid: MomentumGrid,
    pub points: Vec<Point>,
}

impl Scan {
    /// The points of learning rate `lrs[i]`, in increasing 1 - beta.
    pub fn at_lr(&self, i: usize) -> &[Point] {
        let n = self.grid.one_minus_beta.len();
        &self.points[i * n..(i + 1) * n]
    }
}

/// Runs the scan `grid` on `task` from the end of `phase1`; `run_done` is called after every
/// run (a progress bar). An error when phase 1 does not reach interpolation or the start
/// already meets the threshold (there would be nothing to measure).
pub fn run<T: Task + Sync>(
    task: &T,
    backend: Backend,
    precision: Precision,
    phase1: &Interpolation,
    grid: &MomentumGrid,
    run_done: &(dyn Fn() + Sync),
) -> Result<Scan> {
    grid.validate()?;
    let (started, phase_one) = Started::interpolated(task, backend, precision, phase1, 0)?;
    if !phase_one.interpolated {
        return Err(Error::Invalid(format!(
            "phase 1 did not interpolate: train loss {:.3e} > {:.1e} after {} steps",
            phase_one.train_loss, phase1.threshold, phase_one.steps
        )));
    }
    let device = crate::backend::device(backend, precision)?;
    let start_regulariser = task.regulariser(&started.init(&device), &task.load(&device))?[0];
    if start_regulariser <= grid.threshold {
        return Err(Error::Invalid(format!(
            "the start already has regulariser {start_regulariser:.4} <= threshold {}",
            grid.threshold
        )));
    }
    // Phase 2 only: w0 is interpolating already.
    let none = Interpolation { max_steps: 0, ..*phase1 };
    let mut best: Vec<Option<f64>> = vec![None; grid.lrs.len()];
    let mut per_lr: Vec<Vec<Point>> = vec![Vec::with_capacity(grid.one_minus_beta.len()); grid.lrs.len()];
    for &om in &grid.one_minus_beta {
        let budgets: Vec<usize> =
            best.iter().map(|b| b.map_or(grid.budget, |b| grid.budget.min((grid.cap * b).ceil() as usize))).collect();
        let mut configs = Vec::with_capacity(grid.lrs.len() * grid.seeds.len());
        for (&lr, &budget) in grid.lrs.iter().zip(&budgets) {
            let schedule = Schedule::constant(Method::Hb { lr, momentum: 1.0 - om })?;
            configs.extend(grid.seeds.iter().map(|&seed| Config {
                seed,
                interpolation: none,
                schedule,
                batch: None,
                eps: grid.eps,
                steps: budget,
                record_every: grid.record_every,
                stop: Stop::RegulariserBelow { value: grid.threshold },
                keep: Keep::Outcome,
            }));
        }
        let records =
            train::run_batched(&started, backend, precision, &configs, None, &|n| (0..n).for_each(|_| run_done()))?;
        for (i, runs) in records.chunks(grid.seeds.len()).enumerate() {
            let outcomes: Vec<Outcome> = runs.iter().map(|r| r.outcome).collect();
            let point = Point {
                lr: grid.lrs[i],
                one_minus_beta: om,
                budget: budgets[i],
                times: outcomes
                    .iter()
                    .map(|o| if let Outcome::Reached { step } = o { Some(*step) } else { None })
                    .collect(),
                diverged: outcomes.iter().filter(|o| matches!(o, Outcome::Diverged { .. })).count(),
            };
            if let Some(t) = point.log_time().map(f64::exp) {
                best[i] = Some(best[i].map_or(t, |b| b.min(t)));
            }
            per_lr[i].push(point);
        }
    }
    Ok(Scan {
        task: task.name().to_string(),
        task_config: task.config(),
        regulariser: task.regulariser_name().to_string(),
        phase_one,
        start_regulariser,
        grid: grid.clone(),
        points: per_lr.into_iter().flatten().collect(),
    })
}
