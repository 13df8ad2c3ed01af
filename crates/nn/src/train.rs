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
//! (|U|_F^2 for matrix sensing, Hutchinson's tr(∇²L) for the MLPs, with the same probes at every
//! checkpoint of a run) and the task's test error.
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
//! 1's mini-batches, if any, then phase 2's; a full batch draws nothing), the label noise and the
//! Hutchinson probes, so runs that differ only in their schedule or noise level see the same
//! batches and the same noise (common random numbers). The task's own seed fixes its data and
//! initial model.

use crate::backend::{Backend, Precision};
use crate::error::{Error, Result};
use crate::optim::TemplateOptimizer;
use crate::schedule::Schedule;
use crate::tasks::{Batch, Loaded, Stream, Task, rng};
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
pub fn run<T: Task>(task: &T, backend: Backend, precision: Precision, config: &Config) -> Result<Record> {
    config.validate()?;
    let method = config.schedule.at(0)?;
    let start = Instant::now();
    let device = crate::backend::device(backend, precision)?;
    let loaded = task.load(&device);
    let mut batches = rng(config.seed, Stream::Batches);
    let mut noise = rng(config.seed, Stream::Noise);

    let mut record = Record {
        task: task.name().to_string(),
        task_config: task.config(),
        regulariser: task.regulariser_name().to_string(),
        backend: backend.to_string(),
        precision: precision.to_string(),
        method,
        config: *config,
        phase_one: PhaseOne { steps: 0, train_loss: f64::NAN, interpolated: false },
        steps: 0,
        threshold_reached: false,
        outcome: Outcome::Budget,
        series: Vec::new(),
        seconds: 0.0,
        params: Vec::new(),
    };
    let finish = |mut record: Record, model: &T::Model| {
        record.params = crate::params::values(model)?;
        record.seconds = start.elapsed().as_secs_f64();
        Ok(record)
    };

    // Phase 1.
    let (mut model, phase_one) = interpolate(task, &loaded, &config.interpolation, &mut batches)?;
    record.phase_one = phase_one;
    if !phase_one.train_loss.is_finite() {
        record.outcome = Outcome::Diverged { phase: Phase::Interpolation, step: phase_one.steps };
        return finish(record, &model);
    }

    // Phase 2.
    let mut optimizer = TemplateOptimizer::new();
    let measure = |model: &T::Model, step: usize, method: &Method| -> Result<Checkpoint> {
        Ok(Checkpoint {
            step,
            lr: method.lr(),
            momentum: method.momentum(),
            train_loss: task.train_loss(model, &loaded),
            regulariser: task.regulariser(model, &loaded, config.seed)?,
            test_error: task.test_error(model, &loaded)?,
        })
    };
    let mut last = method;
    let checkpoint = measure(&model, 0, &last)?;
    record.series.push(checkpoint);
    if config.stop.reached(&checkpoint) {
        record.threshold_reached = true;
        record.outcome = Outcome::Reached { step: 0 };
        return finish(record, &model);
    }
    for t in 0..config.steps {
        last = config.schedule.at(t)?;
        let batch = task.sample_batch(config.batch.unwrap_or(usize::MAX), &mut batches);
        let labels = task.noisy_labels(&batch, config.eps, &mut noise);
        let batch_loss;
        (model, batch_loss) = step(task, &loaded, &mut optimizer, &last, model, &batch, &labels)?;
        let taken = t + 1;
        record.steps = taken;
        if !batch_loss.is_finite() {
            record.outcome = Outcome::Diverged { phase: Phase::LabelNoise, step: taken };
            return finish(record, &model);
        }
        if taken % config.record_every == 0 || taken == config.steps {
            let checkpoint = measure(&model, taken, &last)?;
            record.series.push(checkpoint);
            if !checkpoint.train_loss.is_finite() {
                record.outcome = Outcome::Diverged { phase: Phase::LabelNoise, step: taken };
                return finish(record, &model);
            }
            if config.stop.reached(&checkpoint) {
                record.threshold_reached = true;
                record.outcome = Outcome::Reached { step: taken };
                return finish(record, &model);
            }
        }
    }
    finish(record, &model)
}

/// Phase 1 from the task's initial model: noise-free steps of `phase1.method` until the full
/// train loss is at or below `phase1.threshold` (or non-finite) or `phase1.max_steps` steps
/// were taken. Mini-batches, if any, come from `batches`. Returns the final model and what the
/// phase did.
pub fn interpolate<T: Task>(
    task: &T,
    loaded: &Loaded,
    phase1: &Interpolation,
    batches: &mut crate::tasks::Rng,
) -> Result<(T::Model, PhaseOne)> {
    let mut model = task.init(&loaded.device);
    let mut optimizer = TemplateOptimizer::new();
    let mut loss = task.train_loss(&model, loaded);
    let mut steps = 0;
    while loss.is_finite() && loss > phase1.threshold && steps < phase1.max_steps {
        let batch = task.sample_batch(phase1.batch.unwrap_or(usize::MAX), batches);
        let batch_loss;
        (model, batch_loss) = step(task, loaded, &mut optimizer, &phase1.method, model, &batch, &batch.labels)?;
        steps += 1;
        if !batch_loss.is_finite() {
            loss = batch_loss;
            break;
        }
        if steps % phase1.check_every == 0 || steps == phase1.max_steps {
            loss = task.train_loss(&model, loaded);
        }
    }
    Ok((model, PhaseOne { steps, train_loss: loss, interpolated: loss <= phase1.threshold }))
}

/// One template step of `method` on `batch` with `labels`: the new model and the batch loss at
/// the query point.
pub(crate) fn step<T: Task>(
    task: &T,
    loaded: &Loaded,
    optimizer: &mut TemplateOptimizer,
    method: &Method,
    model: T::Model,
    batch: &Batch,
    labels: &[f64],
) -> Result<(T::Model, f64)> {
    let mut seen = None;
    let model = optimizer.step(method, model, |m: &T::Model| {
        let loss = task.batch_loss(m, loaded, batch, labels);
        seen = Some(loss.clone().inner());
        loss
    })?;
    Ok((model, seen.map_or(f64::NAN, |l| l.into_scalar::<f64>())))
}
