//! Steps to a target loss against the batch size: the measured side of docs/theory.md §5's critical
//! batch B_sgd = tr/L and saturation batch B_hb = tr/sqrt(L mu), on a network.
//!
//! ```text
//!     run(arm, B, eta, seed)   noise-free labels, mini-batches of B distinct train rows (batch
//!                              stream of the seed), theory's template with step eta and the arm's
//!                              momentum beta(B), from the task's initial model;
//!                              T = the first checkpoint with full train loss <= target
//!     T(arm, B, eta)           geometric mean over seeds (censored if any seed is not timed)
//!     T(arm, B)                min over the learning-rate grid
//! ```
//!
//! Checkpoints are geometric (t_{k+1} = max(t_k + 1, ceil(1.05 t_k))), so T is resolved to 5 %
//! at any scale. A run diverges when a batch loss is not finite or a checkpoint's loss exceeds
//! 100 times the initial loss; it is censored when its budget runs out.
//!
//! Learning rates: per arm the grid is in the effective step s = eta / (1 - beta), halving from
//! the heavy-ball stability edge s_max = 2(1 + beta) / ((1 - beta) L) down to s_min = 1 / (floor
//! tr) (L and tr estimated at initialisation, [`crate::curvature`]). Per (arm, B) the grid is
//! walked from a start (the optimum of 2B; the stability edge 2(1 + beta)/L at the largest B): towards
//! smaller steps while a step is censored before any is timed or is no slower than `cap` times
//! the best, then towards larger steps while timed and no slower than `cap` times the best.
//! Batches are taken largest first, and a run's budget is at most `cap`^3 T(arm, 2B) (halving
//! the batch at most doubles T, and seeds scatter): a slow run only has to show that it is slow.
//! Arms run in parallel, and seeds within a point; the walk is deterministic, so results do not
//! depend on the thread count.

use crate::backend::{Backend, Precision};
use crate::error::{Error, Result};
use crate::optim::TemplateOptimizer;
use crate::scan::Point;
use crate::tasks::{Stream, Task, rng};
use rayon::prelude::*;
use serde::Serialize;
use theory::Method;

/// One method of the sweep: SGD (momentum 0 at every batch) or heavy ball with one momentum
/// per batch of the grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arm {
    pub label: String,
    /// beta at each batch of [`Grid::batches`] (0: SGD).
    pub momentum: Vec<f64>,
}

/// What to sweep. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grid {
    /// Batch sizes, increasing, each at most the number of train rows.
    pub batches: Vec<usize>,
    pub arms: Vec<Arm>,
    /// L and tr(H) at initialisation: they place the learning-rate grid.
    pub lambda_max: f64,
    pub trace: f64,
    /// s_min = 1 / (floor tr).
    pub floor: f64,
    pub seeds: Vec<u64>,
    /// The full train loss to reach.
    pub target: f64,
    /// The largest step budget of a run.
    pub budget: usize,
    /// The walk's slack (> 1).
    pub cap: f64,
}

impl Grid {
    fn validate(&self, rows: usize) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        let b = &self.batches;
        if b.is_empty() || b[0] == 0 || b.windows(2).any(|w| w[0] >= w[1]) || b[b.len() - 1] > rows {
            return bad(format!("batches must increase within 1..={rows} (the train rows), got {b:?}"));
        }
        if self.arms.is_empty()
            || self
                .arms
                .iter()
                .any(|a| a.momentum.len() != b.len() || a.momentum.iter().any(|m| !(0.0..1.0).contains(m)))
        {
            return bad("every arm needs one momentum in [0, 1) per batch".into());
        }
        let positive = [self.lambda_max, self.trace, self.floor, self.target];
        if positive.iter().any(|x| !(x.is_finite() && *x > 0.0))
            || self.seeds.is_empty()
            || self.budget == 0
            || self.cap.is_nan()
            || self.cap <= 1.0
        {
            return bad(format!(
                "the sweep needs L, tr, floor, target > 0, seeds, a budget >= 1 and a cap > 1, got {positive:?}, {} seeds, {}, {}",
                self.seeds.len(),
                self.budget,
                self.cap
            ));
        }
        Ok(())
    }

    /// The learning rates of momentum `beta`, largest first. See the [module docs](self).
    pub fn lrs(&self, beta: f64) -> Vec<f64> {
        let s_max = 4.0 * (1.0 + beta) / ((1.0 - beta) * self.lambda_max);
        let s_min = 1.0 / (self.floor * self.trace);
        let count = ((s_max / s_min).log2().floor().max(0.0) as usize) + 1;
        (0..count).map(|k| (1.0 - beta) * s_max * 0.5f64.powi(k as i32)).collect()
    }
}

/// The walk at one (arm, batch): its points in learning-rate order, largest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub arm: String,
    pub batch: usize,
    pub momentum: f64,
    /// The grid points evaluated (Point::one_minus_beta = 1 - beta), largest learning rate first.
    pub points: Vec<Point>,
}

impl Cell {
    /// The fastest point: (index, T) with T the geometric mean over seeds.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.log_time().map(|t| (i, t.exp())))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The whole sweep. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub task: String,
    pub task_config: serde_json::Value,
    pub initial_loss: f64,
    pub grid: Grid,
    /// Arm-major, batches increasing.
    pub cells: Vec<Cell>,
}

impl Sweep {
    /// The cells of arm `label`, batches increasing.
    pub fn arm(&self, label: &str) -> Vec<&Cell> {
        self.cells.iter().filter(|c| c.arm == label).collect()
    }
}

/// One run: the step at which the full train loss is first <= target at a checkpoint, None if
/// the budget ran out or the run diverged (the flag). The run's full description (task, backend,
/// precision, method, batch, seed, target, budget) is its argument list.
#[allow(clippy::too_many_arguments)]
fn time_to_target<T: Task>(
    task: &T,
    backend: Backend,
    precision: Precision,
    method: Method,
    batch: usize,
    seed: u64,
    target: f64,
    budget: usize,
) -> Result<(Option<usize>, bool)> {
    let device = crate::backend::device(backend, precision)?;
    let loaded = task.load(&device);
    let mut model = task.init(&device);
    let initial = task.train_loss(&model, &loaded);
    let mut batches = rng(seed, Stream::Batches);
    let mut optimizer = TemplateOptimizer::new();
    let mut check = 1;
    for t in 1..=budget {
        let rows = task.sample_batch(batch, &mut batches);
        let loss;
        (model, loss) = crate::train::step(task, &loaded, &mut optimizer, &method, model, &rows, &rows.labels)?;
        if !loss.is_finite() {
            return Ok((None, true));
        }
        if t == check || t == budget {
            let full = task.train_loss(&model, &loaded);
            if !(full.is_finite() && full <= 100.0 * initial) {
                return Ok((None, true));
            }
            if full <= target {
                return Ok((Some(t), false));
            }
            check = (t + 1).max((t as f64 * 1.05).ceil() as usize);
        }
    }
    Ok((None, false))
}

/// Runs the sweep `grid` on `task`; `run_done` is called after every run. An error when the
/// initial model already meets the target.
pub fn run<T: Task + Sync>(
    task: &T,
    backend: Backend,
    precision: Precision,
    grid: &Grid,
    run_done: &(dyn Fn() + Sync),
) -> Result<Sweep> {
    grid.validate(task.data().train.rows)?;
    let device = crate::backend::device(backend, precision)?;
    let initial_loss = task.train_loss(&task.init(&device), &task.load(&device));
    if initial_loss <= grid.target {
        return Err(Error::Invalid(format!(
            "the initial loss {initial_loss:.4e} already meets the target {}",
            grid.target
        )));
    }
    let point = |lr: f64, beta: f64, batch: usize, budget: usize| -> Result<Point> {
        let method = if beta == 0.0 { Method::Sgd { lr } } else { Method::Hb { lr, momentum: beta } };
        let runs = grid
            .seeds
            .par_iter()
            .map(|&seed| {
                let out = time_to_target(task, backend, precision, method, batch, seed, grid.target, budget);
                run_done();
                out
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Point {
            lr,
            one_minus_beta: 1.0 - beta,
            budget,
            times: runs.iter().map(|r| r.0).collect(),
            diverged: runs.iter().filter(|r| r.1).count(),
        })
    };
    let per_arm: Vec<Vec<Cell>> = grid
        .arms
        .par_iter()
        .map(|arm| {
            let mut cells: Vec<Cell> = Vec::with_capacity(grid.batches.len());
            // Largest batch first; each walk starts at the optimum of the batch above.
            for (j, &batch) in grid.batches.iter().enumerate().rev() {
                let beta = arm.momentum[j];
                let lrs = grid.lrs(beta);
                let above = cells.last().and_then(|c: &Cell| Some((c.best()?, c)));
                let (start, ceiling) = match above {
                    Some(((i, t), c)) => {
                        let lr = c.points[i].lr / (1.0 - c.momentum) * (1.0 - beta); // the same effective step
                        let k = lrs.iter().position(|&l| l <= lr * (1.0 + 1e-12)).unwrap_or(lrs.len() - 1);
                        (k, grid.budget.min((grid.cap.powi(3) * t).ceil() as usize))
                    }
                    None => (1.min(lrs.len() - 1), grid.budget),
                };
                let cell = walk(&lrs, start, grid.cap, |k, best| {
                    let budget = best.map_or(ceiling, |b: f64| ceiling.min((grid.cap * b).ceil() as usize + 1));
                    point(lrs[k], beta, batch, budget)
                })?;
                cells.push(Cell { arm: arm.label.clone(), batch, momentum: beta, points: cell });
            }
            cells.reverse();
            Ok(cells)
        })
        .collect::<Result<_>>()?;
    Ok(Sweep {
        task: task.name().to_string(),
        task_config: task.config(),
        initial_loss,
        grid: grid.clone(),
        cells: per_arm.into_iter().flatten().collect(),
    })
}

/// The walk over grid indices (0 = largest learning rate) from `start`. See the
/// [module docs](self). `eval(k, best)` measures index k given the best time so far. Returns
/// the points in index order.
fn walk(
    lrs: &[f64],
    start: usize,
    cap: f64,
    mut eval: impl FnMut(usize, Option<f64>) -> Result<Point>,
) -> Result<Vec<Point>> {
    let mut done: Vec<(usize, Point)> = Vec::new();
    let mut best: Option<f64> = None;
    let mut visit = |k: usize, best: &mut Option<f64>, done: &mut Vec<(usize, Point)>| -> Result<Option<f64>> {
        let p = eval(k, *best)?;
        let t = p.log_time().map(f64::exp);
        if let Some(t) = t {
            *best = Some(best.map_or(t, |b| b.min(t)));
        }
        done.push((k, p));
        Ok(t)
    };
    visit(start, &mut best, &mut done)?;
    for k in start + 1..lrs.len() {
        match visit(k, &mut best, &mut done)? {
            None if best.is_none() => continue, // still above the noise floor or unstable
            Some(t) if t <= cap * best.expect("set by t") => continue,
            _ => break,
        }
    }
    for k in (0..start).rev() {
        match visit(k, &mut best, &mut done)? {
            Some(t) if t <= cap * best.expect("set by t") => continue,
            _ => break,
        }
    }
    done.sort_by_key(|(k, _)| *k);
    Ok(done.into_iter().map(|(_, p)| p).collect())
}
