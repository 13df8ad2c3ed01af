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
//! The walks of all arms at one batch advance together, their next points' runs (every seed)
//! stepping as replica batches of one tensor program ([`crate::train`]); the walk is
//! deterministic and a run's result does not depend on its replica batch, so results do not
//! depend on the thread count.

use crate::backend::{Backend, Precision};
use crate::error::{Error, Result};
use crate::optim::TemplateOptimizer;
use crate::scan::Point;
use crate::tasks::{Batch, Stream, Task, rng};
use burn::tensor::Tensor;
use serde::Serialize;
use theory::Method;

/// One method of the sweep: SGD (momentum 0 at every batch) or heavy ball with one momentum
/// per batch of the grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arm {
    pub label: String,
    /// beta at each batch of [`BatchGrid::batches`] (0: SGD).
    pub momentum: Vec<f64>,
}

/// What to sweep. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchGrid {
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

impl BatchGrid {
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
pub struct BatchSweep {
    pub task: String,
    pub task_config: serde_json::Value,
    pub initial_loss: f64,
    pub grid: BatchGrid,
    /// Arm-major, batches increasing.
    pub cells: Vec<Cell>,
}

impl BatchSweep {
    /// The cells of arm `label`, batches increasing.
    pub fn arm(&self, label: &str) -> Vec<&Cell> {
        self.cells.iter().filter(|c| c.arm == label).collect()
    }
}

/// One run of the sweep: the method, the seed of its batch stream and its step budget.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    method: Method,
    seed: u64,
    budget: usize,
}

/// What the runs of one round share: rows per mini-batch, the full train loss to reach and the
/// initial loss (divergence is a loss above 100 times it).
#[derive(Clone, Copy, Debug)]
struct Goal {
    batch: usize,
    target: f64,
    initial: f64,
}

/// The runs `runs`, all with mini-batches of `goal.batch` rows, as one replica batch: per run,
/// the first checkpoint at which the full train loss is <= `goal.target` (None if its budget ran
/// out or it diverged) and whether it diverged. See the [module docs](self) for checkpoints and
/// divergence; the batch losses are read at checkpoints only.
fn replica_times<T: Task>(
    task: &T,
    backend: Backend,
    precision: Precision,
    runs: &[Run],
    goal: Goal,
) -> Result<Vec<(Option<usize>, bool)>> {
    let Goal { batch, target, initial } = goal;
    let device = crate::backend::device(backend, precision)?;
    let loaded = task.load(&device);
    let init = task.init(&device);
    let w0 = crate::params::values(&init)?;
    let mut model = Some(crate::params::stack(init, &vec![w0; runs.len()])?);
    let mut streams: Vec<_> = runs.iter().map(|r| rng(r.seed, Stream::Batches)).collect();
    let mut out = vec![(None, false); runs.len()];
    let mut active: Vec<usize> = (0..runs.len()).collect();
    let mut optimizer = TemplateOptimizer::new();
    let mut pending: Vec<Tensor<1>> = Vec::new();
    let mut check = 1;
    let mut t = 0;
    while let Some(current) = model.take() {
        t += 1;
        let rows: Vec<Batch> = active.iter().map(|&r| task.sample_batch(batch, &mut streams[r])).collect();
        let labels: Vec<Vec<f64>> = rows.iter().map(|b| b.labels.clone()).collect();
        let methods: Vec<Method> = active.iter().map(|&r| runs[r].method).collect();
        let (current, losses) =
            crate::train::step_replicas(task, &loaded, &mut optimizer, &methods, current, &rows, &labels)?;
        pending.push(losses);
        let at_check = t == check;
        if !(at_check || active.iter().any(|&r| runs[r].budget == t)) {
            model = Some(current);
            continue;
        }
        if at_check {
            check = (t + 1).max((t as f64 * 1.05).ceil() as usize);
        }
        // Divergence first (a non-finite batch loss since the last read), then the checkpoint.
        let n = active.len();
        let batch_losses = crate::tasks::read(Tensor::cat(std::mem::take(&mut pending), 0))?;
        let full = task.train_losses(&current, &loaded)?;
        let mut keep = Vec::with_capacity(n);
        for (j, &r) in active.iter().enumerate() {
            let blown = batch_losses.iter().skip(j).step_by(n).any(|l| !l.is_finite());
            let due = at_check || runs[r].budget == t;
            if blown || (due && !(full[j].is_finite() && full[j] <= 100.0 * initial)) {
                out[r] = (None, true);
            } else if due && full[j] <= target {
                out[r] = (Some(t), false);
            } else if t < runs[r].budget {
                keep.push(j);
            }
        }
        if keep.len() < n && !keep.is_empty() {
            optimizer.select(&keep);
            model = Some(crate::params::select(current, &keep));
        } else if !keep.is_empty() {
            model = Some(current);
        }
        active = keep.iter().map(|&j| active[j]).collect();
    }
    Ok(out)
}

/// Runs the sweep `grid` on `task`; `run_done` is called after every run. An error when the
/// initial model already meets the target.
///
/// Per batch (largest first), the walks of all arms advance together: their next points (every
/// seed of each) are one set of replica batches (`replica_times`, grouped by
/// `train::in_replica_batches`).
pub fn run<T: Task + Sync>(
    task: &T,
    backend: Backend,
    precision: Precision,
    grid: &BatchGrid,
    run_done: &(dyn Fn() + Sync),
) -> Result<BatchSweep> {
    grid.validate(task.data().train.rows)?;
    let device = crate::backend::device(backend, precision)?;
    let initial_loss = task.train_loss(&task.init(&device), &task.load(&device));
    if initial_loss <= grid.target {
        return Err(Error::Invalid(format!(
            "the initial loss {initial_loss:.4e} already meets the target {}",
            grid.target
        )));
    }
    let seeds = grid.seeds.len();
    let mut per_arm: Vec<Vec<Cell>> = vec![Vec::with_capacity(grid.batches.len()); grid.arms.len()];
    for (j, &batch) in grid.batches.iter().enumerate().rev() {
        let mut walks: Vec<Walk> =
            grid.arms.iter().zip(&per_arm).map(|(arm, cells)| Walk::new(grid, arm.momentum[j], cells.last())).collect();
        loop {
            let due: Vec<(usize, usize, usize)> =
                walks.iter().enumerate().filter_map(|(a, w)| w.next.map(|k| (a, k, w.budget()))).collect();
            if due.is_empty() {
                break;
            }
            let runs: Vec<Run> = due
                .iter()
                .flat_map(|&(a, k, budget)| {
                    let method = walks[a].method(k);
                    grid.seeds.iter().map(move |&seed| Run { method, seed, budget })
                })
                .collect();
            let goal = Goal { batch, target: grid.target, initial: initial_loss };
            let times = crate::train::in_replica_batches(&runs, None, |group| {
                replica_times(task, backend, precision, group, goal)
            })?;
            runs.iter().for_each(|_| run_done());
            for (&(a, k, budget), times) in due.iter().zip(times.chunks(seeds)) {
                let walk = &mut walks[a];
                let point = Point {
                    lr: walk.lrs[k],
                    one_minus_beta: 1.0 - walk.beta,
                    budget,
                    times: times.iter().map(|t| t.0).collect(),
                    diverged: times.iter().filter(|t| t.1).count(),
                };
                walk.record(k, point);
            }
        }
        for ((cells, walk), arm) in per_arm.iter_mut().zip(walks).zip(&grid.arms) {
            cells.push(Cell { arm: arm.label.clone(), batch, momentum: walk.beta, points: walk.points() });
        }
    }
    Ok(BatchSweep {
        task: task.name().to_string(),
        task_config: task.config(),
        initial_loss,
        grid: grid.clone(),
        cells: per_arm.into_iter().flat_map(|cells| cells.into_iter().rev()).collect(),
    })
}

/// The walk of one (arm, batch) over its learning-rate grid (index 0 = the largest), one point
/// at a time. See the [module docs](self).
struct Walk {
    beta: f64,
    lrs: Vec<f64>,
    start: usize,
    /// The budget of a run before any point is timed.
    ceiling: usize,
    cap: f64,
    /// The best geometric-mean time so far.
    best: Option<f64>,
    done: Vec<(usize, Point)>,
    /// The index to measure next; None once the walk has ended.
    next: Option<usize>,
}

impl Walk {
    /// The walk at momentum `beta`, started from the optimum of the cell `above` (the batch twice
    /// as large) in effective step eta / (1 - beta), or near the stability edge at the largest
    /// batch.
    fn new(grid: &BatchGrid, beta: f64, above: Option<&Cell>) -> Self {
        let lrs = grid.lrs(beta);
        let (start, ceiling) = match above.and_then(|c| Some((c.best()?, c))) {
            Some(((i, t), c)) => {
                let lr = c.points[i].lr / (1.0 - c.momentum) * (1.0 - beta);
                let k = lrs.iter().position(|&l| l <= lr * (1.0 + 1e-12)).unwrap_or(lrs.len() - 1);
                (k, grid.budget.min((grid.cap.powi(3) * t).ceil() as usize))
            }
            None => (1.min(lrs.len() - 1), grid.budget),
        };
        Walk { beta, lrs, start, ceiling, cap: grid.cap, best: None, done: Vec::new(), next: Some(start) }
    }

    /// The method at grid index `k`: SGD at momentum 0, heavy ball otherwise.
    fn method(&self, k: usize) -> Method {
        let lr = self.lrs[k];
        if self.beta == 0.0 { Method::Sgd { lr } } else { Method::Hb { lr, momentum: self.beta } }
    }

    /// The step budget of the next point: at most `cap` times the best time so far.
    fn budget(&self) -> usize {
        self.best.map_or(self.ceiling, |b| self.ceiling.min((self.cap * b).ceil() as usize + 1))
    }

    /// Records the point measured at index `k` and chooses the next: towards smaller steps while
    /// nothing is timed yet or the time is within `cap` of the best, then the same from the
    /// start towards larger steps.
    fn record(&mut self, k: usize, point: Point) {
        let t = point.log_time().map(f64::exp);
        if let Some(t) = t {
            self.best = Some(self.best.map_or(t, |b| b.min(t)));
        }
        self.done.push((k, point));
        let close = match (t, self.best) {
            (Some(t), Some(b)) => t <= self.cap * b,
            _ => false,
        };
        self.next = if k >= self.start {
            let onwards = k == self.start || close || (t.is_none() && self.best.is_none());
            if onwards && k + 1 < self.lrs.len() { Some(k + 1) } else { self.start.checked_sub(1) }
        } else if close {
            k.checked_sub(1)
        } else {
            None
        };
    }

    /// The points measured, largest learning rate first.
    fn points(mut self) -> Vec<Point> {
        self.done.sort_by_key(|(k, _)| *k);
        self.done.into_iter().map(|(_, p)| p).collect()
    }
}
