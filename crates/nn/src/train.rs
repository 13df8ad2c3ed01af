//! The label-noise experiment of docs/theory.md §8 on one task, one schedule, one seed.
//!
//! ```text
//!     phase 1 (interpolation)  noise-free steps of `interpolation.method` (default full-batch
//!                              GD) until the full train loss L(w) <= `interpolation.threshold`
//!                              or `interpolation.max_steps` steps: "start from an
//!                              interpolating point". L is checked every `check_every` steps.
//!     phase 2 (label noise)    for t = 0, 1, ..., steps - 1:
//!                                S_t   = mini-batch of `batch` rows            (batch stream)
//!                                y~_i  = y_i + eps xi_i,  xi_i ~ N(0, 1) fresh  (noise stream)
//!                                w     = TemplateOptimizer::step(schedule.at(t), L_{S_t}(.; y~))
//! ```
//!
//! At phase 2's start and every `record_every` steps (and after the last step) a
//! [`Checkpoint`] records the noise-free full train loss, the task's implicit regulariser
//! (|U|_F^2 for matrix sensing, the Gauss–Newton trace for the MLPs, both exact) and the task's
//! test error.
//!
//! The threshold ([`Stop`]) is checked at checkpoints only: the run stops at the first
//! checkpoint where the regulariser (or the test error) is at or below the given value, and
//! `threshold_reached` says whether that happened before the step budget ran out.
//!
//! Divergence is a result: the first non-finite loss (the batch loss of a step, or a
//! checkpoint's train loss) ends the run with [`Outcome::Diverged`], recording the phase and the
//! number of steps taken in it. In JSON, non-finite numbers are written as `null`.
//!
//! Randomness: one seed, independent streams ([`crate::tasks::Stream`]) for the batches (phase
//! 1's mini-batches, if any, then phase 2's; a full batch draws nothing) and the label noise, so
//! runs that differ only in their schedule or noise level see the same batches and the same
//! noise (common random numbers). The task's own seed fixes its data and
//! initial model.

use crate::backend::{Backend, Precision};
use crate::error::{Error, Result};
use crate::optim::TemplateOptimizer;
use crate::schedule::Schedule;
use crate::tasks::{Batch, Loaded, Stream, Task, rng};
use burn::tensor::Tensor;
use serde::Serialize;
use std::time::Instant;
use theory::Method;

/// Phase 1: noise-free training to an interpolating point. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interpolation {
    /// The method (plain GD: `Method::Sgd`).
    pub method: Method,
    /// Rows per step; None is the full batch.
    pub batch: Option<usize>,
    /// Phase 1 ends once the full noise-free train loss is at or below this value.
    pub threshold: f64,
    /// The step cap of phase 1 (phase 2 starts anyway, with `interpolated: false`).
    pub max_steps: usize,
    /// The train loss is checked every this many steps (>= 1).
    pub check_every: usize,
}

impl Interpolation {
    /// Full-batch GD with learning rate `lr` until L <= `threshold` or `max_steps` steps,
    /// checking every 10 steps.
    pub fn gd(lr: f64, threshold: f64, max_steps: usize) -> Self {
        Interpolation { method: Method::Sgd { lr }, batch: None, threshold, max_steps, check_every: 10 }
    }
}

/// When phase 2 stops before its step budget: at the first checkpoint where the quantity is at
/// or below `value`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "on", rename_all = "snake_case")]
pub enum Stop {
    /// Run the whole budget.
    Never,
    /// The implicit regulariser <= value.
    RegulariserBelow { value: f64 },
    /// The test error <= value.
    TestErrorBelow { value: f64 },
    /// The regulariser <= `value` while the train loss <= `train_loss`: a flat point that is
    /// also near the interpolating manifold. The label-noise drift along the manifold is
    /// measured by this (docs/theory.md §8): a run whose transverse oscillation has not yet been
    /// damped has not arrived, however small its regulariser.
    SettledBelow { value: f64, train_loss: f64 },
}

impl Stop {
    /// Whether `checkpoint` meets the threshold.
    pub fn reached(&self, checkpoint: &Checkpoint) -> bool {
        match *self {
            Stop::Never => false,
            Stop::RegulariserBelow { value } => checkpoint.regulariser <= value,
            Stop::TestErrorBelow { value } => checkpoint.test_error <= value,
            Stop::SettledBelow { value, train_loss } => {
                checkpoint.regulariser <= value && checkpoint.train_loss <= train_loss
            }
        }
    }
}

/// One run's settings. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Config {
    pub seed: u64,
    pub interpolation: Interpolation,
    /// The method of every phase-2 step.
    pub schedule: Schedule,
    /// Rows per phase-2 step; None (or >= the train size) is the full batch.
    pub batch: Option<usize>,
    /// The label-noise level eps >= 0.
    pub eps: f64,
    /// The phase-2 step budget.
    pub steps: usize,
    /// Checkpoint every this many phase-2 steps (>= 1).
    pub record_every: usize,
    pub stop: Stop,
    /// What the record keeps of its checkpoints.
    pub keep: Keep,
}

/// What a run's record keeps of its checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// Every checkpoint's train loss, regulariser and test error, in `series`.
    Series,
    /// Only the outcome and the steps (`series` stays empty): a checkpoint measures the train
    /// loss and the regulariser, and the test error only under [`Stop::TestErrorBelow`] (what a
    /// scan of times needs, at a fraction of the cost).
    Outcome,
}

impl Config {
    fn validate(&self) -> Result<()> {
        let i = &self.interpolation;
        i.method.validated()?;
        let bad = |m: String| Err(Error::Invalid(m));
        if self.batch == Some(0) || i.batch == Some(0) {
            return bad("a batch needs at least one row".into());
        }
        if self.record_every == 0 || i.check_every == 0 {
            return bad("record_every and check_every must be >= 1".into());
        }
        if !(self.eps.is_finite() && self.eps >= 0.0) {
            return bad(format!("the label-noise level must be finite and >= 0, got {}", self.eps));
        }
        if i.threshold.is_nan() || i.threshold < 0.0 {
            return bad(format!("the interpolation threshold must be >= 0, got {}", i.threshold));
        }
        Ok(())
    }
}

/// The measurements at one point of phase 2.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Phase-2 steps taken.
    pub step: usize,
    /// The learning rate and momentum of the last step taken (of step 0 at the start).
    pub lr: f64,
    pub momentum: Option<f64>,
    /// The full noise-free train loss.
    pub train_loss: f64,
    /// The task's implicit regulariser.
    pub regulariser: f64,
    /// The task's test error.
    pub test_error: f64,
}

/// Which phase a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Interpolation,
    LabelNoise,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The [`Stop`] threshold held at the checkpoint after `step` phase-2 steps.
    Reached { step: usize },
    /// The phase-2 budget ran out first (or the stop is [`Stop::Never`]).
    Budget,
    /// A non-finite loss was seen after `step` steps of `phase`.
    Diverged { phase: Phase, step: usize },
}

/// What phase 1 did.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct PhaseOne {
    pub steps: usize,
    /// The full train loss at its end.
    pub train_loss: f64,
    /// Whether that loss is at or below the threshold.
    pub interpolated: bool,
}

/// Everything one run did, serialisable. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub task: String,
    /// The task's parameters (its config struct).
    pub task_config: serde_json::Value,
    /// The name of the regulariser in `series`.
    pub regulariser: String,
    pub backend: String,
    pub precision: String,
    /// The method of the first phase-2 step.
    pub method: Method,
    /// Seed, schedule, batch, eps, budget, threshold, phase-1 settings.
    pub config: Config,
    pub phase_one: PhaseOne,
    /// Phase-2 steps taken.
    pub steps: usize,
    /// Whether the [`Stop`] threshold was met.
    pub threshold_reached: bool,
    pub outcome: Outcome,
    pub series: Vec<Checkpoint>,
    /// Wall-clock seconds of the whole run (both phases and the measurements).
    pub seconds: f64,
    /// The final parameters w (laid out as [`crate::params::values`]; not serialised with the
    /// record: `momlab train --save-params` writes them to their own file).
    #[serde(skip)]
    pub params: Vec<f64>,
}

/// Runs both phases of `config` on `task` on `backend` in `precision`. Errors are set-up
/// errors (an unknown backend, a method outside its domain); divergence is an [`Outcome`].
/// This is [`run_replicas`] with one replica.
pub fn run<T: Task>(task: &T, backend: Backend, precision: Precision, config: &Config) -> Result<Record> {
    let mut records = run_replicas(task, backend, precision, std::slice::from_ref(config))?;
    Ok(records.remove(0))
}

/// Runs every config of `configs` as one replica batch ([`crate::tasks`]): one tensor program
/// steps all replicas together, each with its own seed (batches, label noise, probes), schedule,
/// noise level, budget and stop rule; a replica that stops is dropped from the batch. The
/// configs must share the batch size, `record_every` and phase 1. Returns one [`Record`] per
/// config, in order; replica r's record equals that of [`run`] on `configs[r]` alone.
///
/// Per-step batch losses stay on the device and are read once per checkpoint, so a divergence
/// between checkpoints is found (at its exact step) at the next checkpoint of the batch; the
/// parameters recorded for a diverged run are those at that moment. `seconds` is the wall-clock
/// time from the batch's start to the replica's end.
pub fn run_replicas<T: Task>(
    task: &T,
    backend: Backend,
    precision: Precision,
    configs: &[Config],
) -> Result<Vec<Record>> {
    let first = configs.first().ok_or_else(|| Error::Invalid("a replica batch needs at least one run".into()))?;
    for config in configs {
        config.validate()?;
        if (config.batch, config.record_every, config.interpolation)
            != (first.batch, first.record_every, first.interpolation)
        {
            return Err(Error::Invalid(
                "the runs of one replica batch must share the batch size, record_every and phase 1".into(),
            ));
        }
    }
    let start = Instant::now();
    let device = crate::backend::device(backend, precision)?;
    let loaded = task.load(&device);
    let mut records = configs
        .iter()
        .map(|config| {
            Ok(Record {
                task: task.name().to_string(),
                task_config: task.config(),
                regulariser: task.regulariser_name().to_string(),
                backend: backend.to_string(),
                precision: precision.to_string(),
                method: config.schedule.at(0)?,
                config: *config,
                phase_one: PhaseOne { steps: 0, train_loss: f64::NAN, interpolated: false },
                steps: 0,
                threshold_reached: false,
                outcome: Outcome::Budget,
                series: Vec::new(),
                seconds: 0.0,
                params: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut batches: Vec<_> = configs.iter().map(|c| rng(c.seed, Stream::Batches)).collect();

    // Phase 1.
    let ends = interpolate_replicas(task, &loaded, &first.interpolation, &mut batches)?;
    let mut starts = Vec::new();
    for (r, (w, phase_one)) in ends.into_iter().enumerate() {
        records[r].phase_one = phase_one;
        if phase_one.train_loss.is_finite() {
            starts.push((r, w));
        } else {
            records[r].outcome = Outcome::Diverged { phase: Phase::Interpolation, step: phase_one.steps };
            records[r].params = w;
            records[r].seconds = start.elapsed().as_secs_f64();
        }
    }

    // Phase 2.
    let mut noise: Vec<_> = configs.iter().map(|c| rng(c.seed, Stream::Noise)).collect();
    let mut batch = Batch2 { task, loaded: &loaded, records: &mut records, start, active: Vec::new(), model: None };
    if !starts.is_empty() {
        let active: Vec<usize> = starts.iter().map(|(r, _)| *r).collect();
        let reps: Vec<Vec<f64>> = starts.into_iter().map(|(_, w)| w).collect();
        batch.model = Some(crate::params::stack(task.init(&device), &reps)?);
        batch.active = active;
    }
    let mut optimizer = TemplateOptimizer::new();
    let mut last: Vec<Method> = configs.iter().map(|c| c.schedule.at(0)).collect::<Result<_>>()?;
    let all: Vec<usize> = batch.active.clone();
    batch.checkpoint(&all, 0, &last, &mut optimizer)?;
    let mut pending: Vec<Tensor<1>> = Vec::new();
    let mut t = 0;
    while let Some(model) = batch.model.take() {
        let active = batch.active.clone();
        let mut methods = Vec::with_capacity(active.len());
        let mut rows = Vec::with_capacity(active.len());
        let mut labels = Vec::with_capacity(active.len());
        for &r in &active {
            let config = &configs[r];
            last[r] = config.schedule.at(t)?;
            methods.push(last[r]);
            let drawn = task.sample_batch(config.batch.unwrap_or(usize::MAX), &mut batches[r]);
            labels.push(task.noisy_labels(&drawn, config.eps, &mut noise[r]));
            rows.push(drawn);
        }
        let (model, losses) = step_replicas(task, &loaded, &mut optimizer, &methods, model, &rows, &labels)?;
        batch.model = Some(model);
        pending.push(losses);
        t += 1;
        let due: Vec<usize> =
            active.iter().copied().filter(|&r| t % configs[r].record_every == 0 || t == configs[r].steps).collect();
        if !due.is_empty() {
            batch.diverged(&pending, t, &mut optimizer)?;
            pending.clear();
            let due: Vec<usize> = due.into_iter().filter(|r| batch.active.contains(r)).collect();
            batch.checkpoint(&due, t, &last, &mut optimizer)?;
        }
    }
    Ok(records)
}

/// Runs `configs` (which must share the batch size, `record_every` and phase 1) as replica
/// batches of at most `max_replicas` runs (None: the runs split evenly over rayon's threads),
/// the batches in parallel; `batch_done(n)` is called as each batch of n runs ends. Returns one
/// [`Record`] per config, in order, the same whatever the grouping and the thread count.
pub fn run_batched<T: Task + Sync>(
    task: &T,
    backend: Backend,
    precision: Precision,
    configs: &[Config],
    max_replicas: Option<usize>,
    batch_done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Record>> {
    in_replica_batches(configs, max_replicas, |group| {
        let records = run_replicas(task, backend, precision, group)?;
        batch_done(group.len());
        Ok(records)
    })
}

/// `f` on consecutive groups of `items` of at most `max` items (None: the items split evenly
/// over rayon's threads), the groups in parallel; the outputs concatenated in the items' order.
/// A group is one replica batch, and a replica's result does not depend on its batch, so the
/// output does not depend on the grouping or the thread count.
pub(crate) fn in_replica_batches<I: Sync, O: Send>(
    items: &[I],
    max: Option<usize>,
    f: impl Fn(&[I]) -> Result<Vec<O>> + Sync,
) -> Result<Vec<O>> {
    use rayon::prelude::*;
    let size = max.unwrap_or_else(|| items.len().div_ceil(rayon::current_num_threads())).max(1);
    let groups = items.par_chunks(size).map(&f).collect::<Result<Vec<_>>>()?;
    Ok(groups.into_iter().flatten().collect())
}

/// The replicas of phase 2 still running, and what ends them.
struct Batch2<'a, T: Task> {
    task: &'a T,
    loaded: &'a Loaded,
    records: &'a mut [Record],
    start: Instant,
    /// The records' indices of the replicas in `model`, in order.
    active: Vec<usize>,
    /// None once no replica runs.
    model: Option<T::Model>,
}

impl<T: Task> Batch2<'_, T> {
    /// Ends the replicas whose batch loss became non-finite during the steps whose losses are
    /// `pending` (one [R] tensor per step, the last one step `t`).
    fn diverged(&mut self, pending: &[Tensor<1>], t: usize, optimizer: &mut TemplateOptimizer) -> Result<()> {
        let k = pending.len();
        let losses = crate::tasks::read(Tensor::cat(pending.to_vec(), 0))?;
        let n = self.active.len();
        let mut ended = Vec::new();
        for (j, &r) in self.active.iter().enumerate() {
            if let Some(i) = (0..k).find(|&i| !losses[i * n + j].is_finite()) {
                let step = t - k + i + 1;
                self.records[r].steps = step;
                self.records[r].outcome = Outcome::Diverged { phase: Phase::LabelNoise, step };
                ended.push(r);
            }
        }
        self.end(&ended, optimizer)
    }

    /// Records a checkpoint after `t` steps for the replicas `due` (record indices, all active),
    /// `last` holding every record's last method, and ends those it stops.
    fn checkpoint(
        &mut self,
        due: &[usize],
        t: usize,
        last: &[Method],
        optimizer: &mut TemplateOptimizer,
    ) -> Result<()> {
        let Some(model) = &self.model else { return Ok(()) };
        if due.is_empty() {
            return Ok(());
        }
        let positions: Vec<usize> =
            due.iter().map(|r| self.active.iter().position(|a| a == r).expect("due replicas are active")).collect();
        let subset;
        let measured = if positions.len() == self.active.len() {
            model
        } else {
            subset = crate::params::select(model.clone(), &positions);
            &subset
        };
        let train_loss = self.task.train_losses(measured, self.loaded)?;
        let regulariser = self.task.regulariser(measured, self.loaded)?;
        let needs_test_error = |c: &Config| c.keep == Keep::Series || matches!(c.stop, Stop::TestErrorBelow { .. });
        let test_error = if due.iter().any(|&r| needs_test_error(&self.records[r].config)) {
            Some(self.task.test_error(measured, self.loaded)?)
        } else {
            None
        };
        let mut ended = Vec::new();
        for (j, &r) in due.iter().enumerate() {
            let record = &mut self.records[r];
            let checkpoint = Checkpoint {
                step: t,
                lr: last[r].lr(),
                momentum: last[r].momentum(),
                train_loss: train_loss[j],
                regulariser: regulariser[j],
                // Not measured only when neither the series nor the stop reads it.
                test_error: test_error.as_ref().map_or(f64::NAN, |e| e[j]),
            };
            if record.config.keep == Keep::Series {
                record.series.push(checkpoint);
            }
            record.steps = t;
            if !checkpoint.train_loss.is_finite() {
                record.outcome = Outcome::Diverged { phase: Phase::LabelNoise, step: t };
            } else if record.config.stop.reached(&checkpoint) {
                record.threshold_reached = true;
                record.outcome = Outcome::Reached { step: t };
            } else if t < record.config.steps {
                continue;
            }
            ended.push(r);
        }
        self.end(&ended, optimizer)
    }

    /// Records the parameters and time of the replicas `ended` and drops them from the batch.
    fn end(&mut self, ended: &[usize], optimizer: &mut TemplateOptimizer) -> Result<()> {
        let Some(model) = self.model.take() else { return Ok(()) };
        if ended.is_empty() {
            self.model = Some(model);
            return Ok(());
        }
        let params = crate::params::replicas(&model)?;
        let seconds = self.start.elapsed().as_secs_f64();
        let mut keep = Vec::new();
        for (j, &r) in self.active.iter().enumerate() {
            if ended.contains(&r) {
                self.records[r].params = params[j].clone();
                self.records[r].seconds = seconds;
            } else {
                keep.push(j);
            }
        }
        self.active = keep.iter().map(|&j| self.active[j]).collect();
        if !keep.is_empty() {
            optimizer.select(&keep);
            self.model = Some(crate::params::select(model, &keep));
        }
        Ok(())
    }
}

/// Phase 1 from the task's initial model for one replica per generator of `batches` (which
/// draws the replica's mini-batches, if any): noise-free steps of `phase1.method` until the full
/// train loss is at or below `phase1.threshold` (or non-finite) or `phase1.max_steps` steps were
/// taken. Returns every replica's final parameters and what the phase did.
pub fn interpolate_replicas<T: Task>(
    task: &T,
    loaded: &Loaded,
    phase1: &Interpolation,
    batches: &mut [crate::tasks::Rng],
) -> Result<Vec<(Vec<f64>, PhaseOne)>> {
    let init = task.init(&loaded.device);
    let w0 = crate::params::values(&init)?;
    let mut model = Some(crate::params::stack(init, &vec![w0; batches.len()])?);
    let mut out: Vec<Option<(Vec<f64>, PhaseOne)>> = vec![None; batches.len()];
    let mut active: Vec<usize> = (0..batches.len()).collect();
    let mut loss = task.train_losses(model.as_ref().expect("just made"), loaded)?;
    let mut optimizer = TemplateOptimizer::new();
    let mut pending: Vec<Tensor<1>> = Vec::new();
    let mut steps = 0;
    while let Some(current) = model.take() {
        // End the replicas that interpolated, diverged or ran out of steps.
        let ended: Vec<bool> =
            loss.iter().map(|l| !(l.is_finite() && *l > phase1.threshold && steps < phase1.max_steps)).collect();
        let current = if ended.iter().any(|&e| e) {
            let params = crate::params::replicas(&current)?;
            let mut keep = Vec::new();
            for (j, &r) in active.iter().enumerate() {
                if ended[j] {
                    let (taken, l) = if loss[j].is_finite() {
                        (steps, loss[j])
                    } else {
                        (loss_step(&pending, active.len(), j, steps), loss[j])
                    };
                    out[r] = Some((
                        params[j].clone(),
                        PhaseOne { steps: taken, train_loss: l, interpolated: l <= phase1.threshold },
                    ));
                } else {
                    keep.push(j);
                }
            }
            if keep.is_empty() {
                break;
            }
            active = keep.iter().map(|&j| active[j]).collect();
            optimizer.select(&keep);
            crate::params::select(current, &keep)
        } else {
            current
        };
        pending.clear();
        // Steps up to the next check.
        let mut current = current;
        loop {
            let rows: Vec<Batch> = active
                .iter()
                .map(|&r| task.sample_batch(phase1.batch.unwrap_or(usize::MAX), &mut batches[r]))
                .collect();
            let labels: Vec<Vec<f64>> = rows.iter().map(|b| b.labels.clone()).collect();
            let methods = vec![phase1.method; active.len()];
            let losses;
            (current, losses) = step_replicas(task, loaded, &mut optimizer, &methods, current, &rows, &labels)?;
            pending.push(losses);
            steps += 1;
            if steps % phase1.check_every == 0 || steps == phase1.max_steps {
                break;
            }
        }
        // A non-finite batch loss ends a replica with that loss; the others are checked.
        let batch_losses = crate::tasks::read(Tensor::cat(pending.clone(), 0))?;
        let full = task.train_losses(&current, loaded)?;
        let n = active.len();
        loss = (0..n)
            .map(|j| (0..pending.len()).map(|i| batch_losses[i * n + j]).find(|l| !l.is_finite()).unwrap_or(full[j]))
            .collect();
        model = Some(current);
    }
    Ok(out.into_iter().map(|o| o.expect("every replica ends")).collect())
}

/// The step (1-based, counting to `steps`) of the first non-finite batch loss of replica `j` of
/// `n` among the `pending` steps; `steps` if there is none.
fn loss_step(pending: &[Tensor<1>], n: usize, j: usize, steps: usize) -> usize {
    let k = pending.len();
    match crate::tasks::read(Tensor::cat(pending.to_vec(), 0)) {
        Ok(losses) => (0..k).find(|&i| !losses[i * n + j].is_finite()).map_or(steps, |i| steps - k + i + 1),
        Err(_) => steps,
    }
}

/// Phase 1 of a single run (see [`interpolate_replicas`]): the final model and what it did.
pub fn interpolate<T: Task>(
    task: &T,
    loaded: &Loaded,
    phase1: &Interpolation,
    batches: &mut crate::tasks::Rng,
) -> Result<(T::Model, PhaseOne)> {
    let (w, phase_one) = interpolate_replicas(task, loaded, phase1, std::slice::from_mut(batches))?.remove(0);
    Ok((crate::params::stack(task.init(&loaded.device), &[w])?, phase_one))
}

/// One template step of a replica batch: replica r steps with `methods[r]` on `batches[r]` with
/// `labels[r]`. Returns the new model and the replicas' batch losses at the query point ([R],
/// on the device).
pub(crate) fn step_replicas<T: Task>(
    task: &T,
    loaded: &Loaded,
    optimizer: &mut TemplateOptimizer,
    methods: &[Method],
    model: T::Model,
    batches: &[Batch],
    labels: &[Vec<f64>],
) -> Result<(T::Model, Tensor<1>)> {
    let mut seen = None;
    let model = optimizer.step_replicas(methods, model, |m: &T::Model| {
        let losses = task.batch_losses(m, loaded, batches, labels);
        seen = Some(losses.clone().inner());
        losses.sum()
    })?;
    Ok((model, seen.ok_or(Error::Untracked)?))
}

/// One template step of `method` on `batch` with `labels` (one replica): the new model and the
/// batch loss at the query point.
pub(crate) fn step<T: Task>(
    task: &T,
    loaded: &Loaded,
    optimizer: &mut TemplateOptimizer,
    method: &Method,
    model: T::Model,
    batch: &Batch,
    labels: &[f64],
) -> Result<(T::Model, f64)> {
    let (model, loss) = step_replicas(
        task,
        loaded,
        optimizer,
        std::slice::from_ref(method),
        model,
        std::slice::from_ref(batch),
        &[labels.to_vec()],
    )?;
    Ok((model, loss.into_scalar::<f64>()))
}
