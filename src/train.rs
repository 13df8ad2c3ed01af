//! `momlab train`: label-noise training runs of a network (nn crate, docs/theory.md §8): phase 1
//! noise-free full-batch GD to interpolation, then the method of `--method` with label noise
//! `--eps` under a learning-rate schedule and a fixed or coupled momentum (1 - beta = C lr^g).
//!
//! `--seeds`, `--lr` and `--momentum` take lists; their product (learning rate, then momentum,
//! then seed) is the set of replicas, trained as replica batches of one tensor program each
//! (`nn::train::run_batched`). A replica's record is the same whatever the batches.

use crate::args::{self, MethodArgs};
use crate::budget::{self, Estimate};
use crate::output;
use crate::sweep::{Verbosity, progress};
use crate::task::{TaskArg, TaskChoice};
use anyhow::{Result, bail};
use nn::tasks::{Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, TeacherStudent, TeacherStudentConfig};
use nn::{Backend, Config, Interpolation, Keep, Lr, Momentum, Precision, Record, Schedule, Stop, Task};
use serde::Serialize;
use std::path::PathBuf;
use theory::Family;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    task: TaskChoice,
    /// matrix_sensing only: the initial U has N(0, s^2) entries [default: 0.5].
    #[arg(long, value_parser = args::number)]
    init_scale: Option<f64>,
    /// flex, ndarray (CPU) or wgpu (GPU; build with --features wgpu).
    #[arg(long, default_value = "flex")]
    backend: String,
    /// f64 or f32 (most GPUs: f32 only).
    #[arg(long, default_value = "f64")]
    precision: String,
    /// sgd | hb | nag | asgd.
    #[arg(long, value_parser = args::family)]
    method: Family,
    /// Classical learning rates, comma-separated (one replica set per value).
    #[arg(long, value_parser = args::number, value_delimiter = ',', allow_negative_numbers = true)]
    lr: Vec<f64>,
    /// Classical momenta b of heavy ball / Nesterov, comma-separated.
    #[arg(long, value_parser = args::number, value_delimiter = ',', allow_negative_numbers = true)]
    momentum: Vec<f64>,
    /// ASGD long step (kappa_l).
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    long_step: Option<f64>,
    /// ASGD statistical advantage xi.
    #[arg(long, value_parser = args::number, allow_negative_numbers = true)]
    xi: Option<f64>,
    /// Momentum coupled to the learning rate instead of --momentum: C,g for 1 - beta = C lr^g.
    #[arg(long, value_parser = coupling)]
    scaling: Option<(f64, f64)>,
    /// Learning-rate schedule: constant, step:EVERY,FACTOR or cosine:STEPS,MIN.
    #[arg(long, default_value = "constant")]
    schedule: String,
    /// Label-noise steps (phase 2).
    #[arg(long)]
    steps: usize,
    /// The runs' seeds (mini-batches, label noise): a comma-separated list of
    /// integers and ranges, e.g. 0..64 (0 to 63) or 0..=63,100.
    #[arg(long, alias = "seed", default_value = "0", value_parser = seeds)]
    seeds: Seeds,
    /// Replicas per tensor program (default: the replicas split evenly over the threads).
    #[arg(long)]
    replicas_per_batch: Option<usize>,
    /// Label-noise level eps: labels y + eps xi with fresh xi ~ N(0, 1) each step.
    #[arg(long, default_value = "0.1", value_parser = args::number, allow_negative_numbers = true)]
    eps: f64,
    /// Rows per phase-2 step (default: the full batch).
    #[arg(long)]
    batch: Option<usize>,
    /// Phase 1: learning rate, loss threshold and step cap of the noise-free GD.
    #[arg(long, default_value = "0.02", value_parser = args::number)]
    interpolation_lr: f64,
    #[arg(long, default_value = "1e-10", value_parser = args::number)]
    interpolation_loss: f64,
    #[arg(long, default_value_t = 100_000)]
    interpolation_steps: usize,
    /// Checkpoint every this many phase-2 steps (default: steps/20).
    #[arg(long)]
    record_every: Option<usize>,
    /// Stop at the first checkpoint with the implicit regulariser at or below this value.
    #[arg(long, value_parser = args::number, conflicts_with = "stop_test_error")]
    stop_regulariser: Option<f64>,
    /// Stop at the first checkpoint with the test error at or below this value.
    #[arg(long, value_parser = args::number)]
    stop_test_error: Option<f64>,
    /// Write the checkpoints to this CSV file: one row per (replica, checkpoint).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Print the run's record as JSON instead of the table (an array of records when there is
    /// more than one replica).
    #[arg(long)]
    json: bool,
    /// Save the final parameters to this JSON file (for `momlab curvature --checkpoint`; one
    /// replica only).
    #[arg(long)]
    save_params: Option<PathBuf>,
}

pub fn run(a: Args, verbosity: Verbosity) -> Result<()> {
    let backend: Backend = a.backend.parse()?;
    let precision: Precision = a.precision.parse()?;
    budget::check("train", &estimate(&a, precision))?;
    let configs = configs(&a)?;
    if a.init_scale.is_some() && a.task.task != TaskArg::MatrixSensing {
        bail!("--init-scale applies to matrix_sensing only");
    }
    if a.save_params.is_some() && configs.len() > 1 {
        bail!("--save-params saves one run: give one seed, one --lr and at most one --momentum");
    }
    if a.replicas_per_batch == Some(0) {
        bail!("--replicas-per-batch must be >= 1");
    }
    let bar = progress(configs.len() as u64, verbosity, "train", None);
    let done = |n: usize| {
        bar.inc(n as u64);
        bar.set_message(format!("{}/{} runs", bar.position(), configs.len()));
    };
    let records = match a.task.task {
        TaskArg::MatrixSensing => {
            let task = MatrixSensing::new(MatrixSensingConfig {
                seed: a.task.task_seed,
                init_scale: a.init_scale.unwrap_or(MatrixSensingConfig::default().init_scale),
                ..Default::default()
            })?;
            batched(&task, backend, precision, &configs, a.replicas_per_batch, &done)?
        }
        TaskArg::TeacherStudent => {
            let task = TeacherStudent::new(TeacherStudentConfig { seed: a.task.task_seed, ..Default::default() })?;
            batched(&task, backend, precision, &configs, a.replicas_per_batch, &done)?
        }
        TaskArg::Diabetes => {
            let task = Diabetes::new(DiabetesConfig { seed: a.task.task_seed, ..Default::default() })?;
            batched(&task, backend, precision, &configs, a.replicas_per_batch, &done)?
        }
    };
    bar.finish_and_clear();
    if let Some(path) = &a.csv {
        output::write_csv(path, &rows(&records))?;
    }
    if let Some(path) = &a.save_params {
        let record = &records[0];
        let saved = crate::curvature::Saved {
            task: record.task.clone(),
            task_config: record.task_config.clone(),
            params: record.params.clone(),
        };
        output::write_atomically(path, |w| Ok(serde_json::to_writer(w, &saved)?))?;
    }
    match (a.json, &records[..]) {
        (true, [one]) => output::print_json(one),
        (true, _) => output::print_json(&records),
        (false, [one]) => {
            print_table(one);
            Ok(())
        }
        (false, _) => {
            print_summary(&records);
            Ok(())
        }
    }
}

fn batched<T: Task + Sync>(
    task: &T,
    backend: Backend,
    precision: Precision,
    configs: &[Config],
    per_batch: Option<usize>,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Record>> {
    Ok(nn::train::run_batched(task, backend, precision, configs, per_batch, done)?)
}

/// One CSV row: a replica's identity and one of its checkpoints.
#[derive(Serialize)]
struct Row {
    replica: usize,
    seed: u64,
    /// The learning rate and momentum of the replica's first label-noise step.
    lr0: f64,
    momentum0: Option<f64>,
    step: usize,
    lr: f64,
    momentum: Option<f64>,
    train_loss: f64,
    regulariser: f64,
    test_error: f64,
}

/// Every replica's checkpoints, replica by replica.
fn rows(records: &[Record]) -> Vec<Row> {
    records
        .iter()
        .enumerate()
        .flat_map(|(replica, r)| {
            r.series.iter().map(move |c| Row {
                replica,
                seed: r.config.seed,
                lr0: r.method.lr(),
                momentum0: r.method.momentum(),
                step: c.step,
                lr: c.lr,
                momentum: c.momentum,
                train_loss: c.train_loss,
                regulariser: c.regulariser,
                test_error: c.test_error,
            })
        })
        .collect()
}

/// A list of seeds: integers and ranges a..b (b excluded) or a..=b, comma-separated; kept as
/// ranges, so that a list too long to run is refused by its count before it is expanded.
#[derive(Clone, Debug)]
struct Seeds(Vec<std::ops::Range<u64>>);

impl Seeds {
    fn count(&self) -> f64 {
        self.0.iter().map(|r| (r.end - r.start) as f64).sum()
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().flat_map(|r| r.clone())
    }
}

fn seeds(s: &str) -> std::result::Result<Seeds, String> {
    let int = |x: &str| x.trim().parse::<u64>().map_err(|_| format!("'{x}' is not a seed (an integer >= 0)"));
    let mut out = Vec::new();
    for part in s.split(',') {
        let (lo, hi) = if let Some((a, b)) = part.split_once("..=") {
            (int(a)?, int(b)?.checked_add(1).ok_or(format!("seed range '{part}' is too large"))?)
        } else if let Some((a, b)) = part.split_once("..") {
            (int(a)?, int(b)?)
        } else {
            let x = int(part)?;
            (x, x + 1)
        };
        if lo >= hi {
            return Err(format!("seed range '{part}' is empty (a..b includes a, excludes b)"));
        }
        out.push(lo..hi);
    }
    Ok(Seeds(out))
}

/// The runs' settings from the arguments (learning rate, then momentum, then seed); every range
/// is checked here or by nn.
fn configs(a: &Args) -> Result<Vec<Config>> {
    if a.steps == 0 {
        bail!("--steps must be >= 1");
    }
    if a.method == Family::Sp {
        bail!("sp (sketch-and-project) is a method for quadratics, not for networks");
    }
    if matches!(a.method, Family::Hb | Family::Nag) && a.momentum.is_empty() && a.scaling.is_none() {
        bail!("{} needs --momentum B or --scaling C,g", a.method);
    }
    if a.lr.is_empty() {
        bail!("{} needs --lr", a.method);
    }
    if a.scaling.is_some() {
        if !matches!(a.method, Family::Hb | Family::Nag) {
            bail!("--scaling applies to hb and nag, not {}", a.method);
        }
        if !a.momentum.is_empty() {
            bail!("give either --momentum or --scaling, not both");
        }
    }
    let stop = match (a.stop_regulariser, a.stop_test_error) {
        (Some(value), _) => Stop::RegulariserBelow { value },
        (_, Some(value)) => Stop::TestErrorBelow { value },
        _ => Stop::Never,
    };
    let momenta: Vec<Option<f64>> =
        if a.momentum.is_empty() { vec![None] } else { a.momentum.iter().copied().map(Some).collect() };
    let rule = lr_rule(&a.schedule)?;
    let interpolation = Interpolation::gd(a.interpolation_lr, a.interpolation_loss, a.interpolation_steps);
    let record_every = a.record_every.unwrap_or((a.steps / 20).max(1));
    let mut configs = Vec::with_capacity(replicas(a) as usize);
    for &lr in &a.lr {
        for &momentum in &momenta {
            let schedule = schedule(a, rule, lr, momentum)?;
            configs.extend(a.seeds.iter().map(|seed| Config {
                seed,
                interpolation,
                schedule,
                batch: a.batch,
                eps: a.eps,
                steps: a.steps,
                record_every,
                stop,
                keep: Keep::Series,
            }));
        }
    }
    Ok(configs)
}

/// The schedule of learning rate `lr` under `rule` with momentum `momentum` (or `--scaling`'s
/// coupling).
fn schedule(a: &Args, rule: Lr, lr: f64, momentum: Option<f64>) -> Result<Schedule> {
    if let Some((c, g)) = a.scaling {
        let base = match a.method {
            Family::Hb => theory::Method::Hb { lr, momentum: 0.0 },
            _ => theory::Method::Nag { lr, momentum: 0.0 },
        };
        return Ok(Schedule::new(base, rule, Momentum::Coupled { c, g })?);
    }
    let method = MethodArgs {
        method: a.method,
        lr: Some(lr),
        momentum,
        long_step: a.long_step,
        xi: a.xi,
        alpha: None,
        beta: None,
        gamma: None,
    };
    Ok(Schedule::new(method.build_explicit()?, rule, Momentum::Fixed)?)
}

/// The number of runs the lists ask for: learning rates x momenta x seeds.
fn replicas(a: &Args) -> f64 {
    a.lr.len().max(1) as f64 * a.momentum.len().max(1) as f64 * a.seeds.count()
}

/// What the runs of `a` cost: the replica batch of the task's network, its steps (phase 1's cap
/// as a bound) and the recorded checkpoints (`budget`).
fn estimate(a: &Args, precision: Precision) -> Estimate {
    let size = a.task.task.size();
    let (params, rows, widths) = (size.parameters as f64, size.rows as f64, size.widths);
    let r = replicas(a);
    let batch = a.batch.map_or(rows, |b| (b as f64).min(rows));
    let float = if precision == Precision::F32 { 4.0 } else { 8.0 };
    let steps = a.steps as f64;
    let mut interpolation =
        budget::network_steps(r, params, rows, a.interpolation_steps as f64, "--interpolation-steps");
    interpolation.bound = true;
    Estimate::new(vec![
        budget::network_replica_batch(r, params, rows.max(batch), &widths, float),
        budget::network_series(r, steps, a.record_every.unwrap_or((a.steps / 20).max(1)) as f64),
        budget::network_steps(r, params, batch, steps, "--steps"),
        interpolation,
    ])
}

/// `C,g` of 1 - beta = C lr^g.
fn coupling(s: &str) -> std::result::Result<(f64, f64), String> {
    match s.split(',').map(|x| args::number(x.trim())).collect::<std::result::Result<Vec<f64>, String>>()?[..] {
        [c, g] => Ok((c, g)),
        _ => Err(format!("expected C,g (two numbers), got '{s}'")),
    }
}

/// `constant`, `step:EVERY,FACTOR` or `cosine:STEPS,MIN`.
fn lr_rule(s: &str) -> Result<Lr> {
    let (name, rest) = s.split_once(':').unwrap_or((s, ""));
    let numbers: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split(',').collect() };
    let count = |i: usize| -> Result<usize> {
        numbers[i].trim().parse().map_err(|_| anyhow::anyhow!("--schedule {s}: '{}' is not a step count", numbers[i]))
    };
    let real = |i: usize| -> Result<f64> {
        args::number(numbers[i].trim()).map_err(|e| anyhow::anyhow!("--schedule {s}: {e}"))
    };
    match (name, numbers.len()) {
        ("constant", 0) => Ok(Lr::Constant),
        ("step", 2) => Ok(Lr::StepDecay { every: count(0)?, factor: real(1)? }),
        ("cosine", 2) => Ok(Lr::Cosine { steps: count(0)?, min: real(1)? }),
        _ => bail!("--schedule must be constant, step:EVERY,FACTOR or cosine:STEPS,MIN, got '{s}'"),
    }
}

fn print_table(r: &Record) {
    println!(
        "{} on {} ({}): phase 1 {} GD steps to train loss {:.3e}{}",
        r.task,
        r.backend,
        r.precision,
        r.phase_one.steps,
        r.phase_one.train_loss,
        if r.phase_one.interpolated { "" } else { " (not interpolated)" }
    );
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>14} {:>12}",
        "step", "lr", "1-beta", "train loss", r.regulariser, "test error"
    );
    for c in &r.series {
        println!(
            "{:>8} {:>10.3e} {:>10} {:>12.4e} {:>14.6} {:>12.6}",
            c.step,
            c.lr,
            output::cell(c.momentum.map(|b| 1.0 - b), 5),
            c.train_loss,
            c.regulariser,
            c.test_error
        );
    }
    println!("{}; {:.2} s", outcome(r), r.seconds);
}

fn outcome(r: &Record) -> String {
    match r.outcome {
        nn::Outcome::Reached { step } => format!("threshold reached after {step} label-noise steps"),
        nn::Outcome::Budget => format!("{} label-noise steps (budget)", r.steps),
        nn::Outcome::Diverged { phase, step } => format!("diverged in {phase:?} after {step} steps"),
    }
}

/// One line per replica: its settings, how it ended and its last checkpoint.
fn print_summary(records: &[Record]) {
    println!(
        "{:>7} {:>6} {:>10} {:>8} {:>12} {:>14} {:>12}  outcome",
        "replica", "seed", "lr", "1-beta", "train loss", records[0].regulariser, "test error"
    );
    for (i, r) in records.iter().enumerate() {
        let last = r.series.last();
        println!(
            "{:>7} {:>6} {:>10.3e} {:>8} {:>12} {:>14} {:>12}  {}",
            i,
            r.config.seed,
            r.method.lr(),
            output::cell(r.method.momentum().map(|b| 1.0 - b), 5),
            output::cell(last.map(|c| c.train_loss), 4),
            output::cell(last.map(|c| c.regulariser), 6),
            output::cell(last.map(|c| c.test_error), 6),
            outcome(r)
        );
    }
    let slowest = records.iter().map(|r| r.seconds).fold(0.0, f64::max);
    println!("{} runs as replica batches; {slowest:.2} s", records.len());
}
