//! `momlab train`: one label-noise training run of a network (nn crate, docs/theory.md §8): phase 1
//! noise-free full-batch GD to interpolation, then the method of `--method` with label noise
//! `--eps` under a learning-rate schedule and a fixed or coupled momentum (1 - beta = C lr^g).

use crate::args::{self, MethodArgs};
use crate::budget::{self, Estimate};
use crate::output;
use anyhow::{Result, bail};
use nn::tasks::{Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, TeacherStudent, TeacherStudentConfig};
use nn::{Backend, Config, Interpolation, Lr, Momentum, Precision, Record, Schedule, Stop, Task};
use std::path::PathBuf;
use theory::Family;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskArg {
    #[value(name = "matrix_sensing", alias = "matrix-sensing")]
    /// X* = U*U*^T (d = 8, rank 1), model UU^T with r' = 3, n = 16 Gaussian measurements.
    MatrixSensing,
    #[value(name = "teacher_student", alias = "teacher-student")]
    /// A 4-3-1 tanh teacher, a 4-12-1 student, 24 train rows.
    TeacherStudent,
    /// The diabetes data set (linfa-datasets), a 10-64-1 MLP.
    Diabetes,
}

/// `--task` and `--task-seed`: which network task, generated from which seed (`train` and
/// `curvature`).
#[derive(clap::Args)]
pub struct TaskChoice {
    #[arg(long, value_enum)]
    pub task: TaskArg,
    /// The seed of the task's data and initial model.
    #[arg(long, default_value_t = 0)]
    pub task_seed: u64,
}

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
    #[command(flatten)]
    method: MethodArgs,
    /// Momentum coupled to the learning rate instead of --momentum: C,g for 1 - beta = C lr^g.
    #[arg(long, value_parser = coupling)]
    scaling: Option<(f64, f64)>,
    /// Learning-rate schedule: constant, step:EVERY,FACTOR or cosine:STEPS,MIN.
    #[arg(long, default_value = "constant")]
    schedule: String,
    /// Label-noise steps (phase 2).
    #[arg(long)]
    steps: usize,
    /// The run's seed (mini-batches, label noise, Hutchinson probes).
    #[arg(long, default_value_t = 0)]
    seed: u64,
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
    /// Write the checkpoints to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Print the run's record as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Save the final parameters to this JSON file (for `momlab curvature --checkpoint`).
    #[arg(long)]
    save_params: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let backend: Backend = a.backend.parse()?;
    let precision: Precision = a.precision.parse()?;
    let config = config(&a)?;
    budget::check("train", &estimate(&a, precision))?;
    if a.init_scale.is_some() && a.task.task != TaskArg::MatrixSensing {
        bail!("--init-scale applies to matrix_sensing only");
    }
    let record = match a.task.task {
        TaskArg::MatrixSensing => train(
            &MatrixSensing::new(MatrixSensingConfig {
                seed: a.task.task_seed,
                init_scale: a.init_scale.unwrap_or(MatrixSensingConfig::default().init_scale),
                ..Default::default()
            })?,
            backend,
            precision,
            &config,
        )?,
        TaskArg::TeacherStudent => train(
            &TeacherStudent::new(TeacherStudentConfig { seed: a.task.task_seed, ..Default::default() })?,
            backend,
            precision,
            &config,
        )?,
        TaskArg::Diabetes => train(
            &Diabetes::new(DiabetesConfig { seed: a.task.task_seed, ..Default::default() })?,
            backend,
            precision,
            &config,
        )?,
    };
    if let Some(path) = &a.csv {
        output::write_csv(path, &record.series)?;
    }
    if let Some(path) = &a.save_params {
        let saved = crate::curvature::Saved {
            task: record.task.clone(),
            task_config: record.task_config.clone(),
            params: record.params.clone(),
        };
        output::write_atomically(path, |w| Ok(serde_json::to_writer(w, &saved)?))?;
    }
    if a.json {
        return output::print_json(&record);
    }
    print_table(&record);
    Ok(())
}

fn train<T: Task>(task: &T, backend: Backend, precision: Precision, config: &Config) -> Result<Record> {
    Ok(nn::train::run(task, backend, precision, config)?)
}

/// The run's settings from the arguments; every range is checked here or by nn.
fn config(a: &Args) -> Result<Config> {
    if a.steps == 0 {
        bail!("--steps must be >= 1");
    }
    if a.method.method == Family::Sp {
        bail!("sp (sketch-and-project) is a method for quadratics, not for networks");
    }
    if matches!(a.method.method, Family::Hb | Family::Nag) && a.method.momentum.is_none() && a.scaling.is_none() {
        bail!("{} needs --momentum B or --scaling C,g", a.method.method);
    }
    let schedule = match &a.scaling {
        &Some((c, g)) => {
            if !matches!(a.method.method, Family::Hb | Family::Nag) {
                bail!("--scaling applies to hb and nag, not {}", a.method.method);
            }
            if a.method.momentum.is_some() {
                bail!("give either --momentum or --scaling, not both");
            }
            let Some(lr) = a.method.lr else { bail!("{} needs --lr", a.method.method) };
            let base = match a.method.method {
                Family::Hb => theory::Method::Hb { lr, momentum: 0.0 },
                _ => theory::Method::Nag { lr, momentum: 0.0 },
            };
            Schedule::new(base, lr_rule(&a.schedule)?, Momentum::Coupled { c, g })?
        }
        None => Schedule::new(a.method.build_explicit()?, lr_rule(&a.schedule)?, Momentum::Fixed)?,
    };
    let stop = match (a.stop_regulariser, a.stop_test_error) {
        (Some(value), _) => Stop::RegulariserBelow { value },
        (_, Some(value)) => Stop::TestErrorBelow { value },
        _ => Stop::Never,
    };
    Ok(Config {
        seed: a.seed,
        interpolation: Interpolation::gd(a.interpolation_lr, a.interpolation_loss, a.interpolation_steps),
        schedule,
        batch: a.batch,
        eps: a.eps,
        steps: a.steps,
        record_every: a.record_every.unwrap_or((a.steps / 20).max(1)),
        stop,
    })
}

/// The network of a task (its default sizes): parameters, train rows and layer widths.
pub fn network(task: TaskArg) -> (f64, f64, Vec<usize>) {
    let mlp = |widths: &[usize]| widths.windows(2).map(|w| ((w[0] + 1) * w[1]) as f64).sum::<f64>();
    match task {
        TaskArg::MatrixSensing => {
            let c = MatrixSensingConfig::default();
            ((c.d * c.model_rank) as f64, c.measurements as f64, vec![c.d * c.d, c.d * c.model_rank, 1])
        }
        TaskArg::TeacherStudent => {
            let c = TeacherStudentConfig::default();
            let widths = vec![c.inputs, c.student_hidden, 1];
            (mlp(&widths), c.train as f64, widths)
        }
        TaskArg::Diabetes => {
            let c = DiabetesConfig::default();
            let widths = vec![nn::tasks::diabetes::FEATURES, c.hidden, 1];
            let rows = (nn::tasks::diabetes::raw().2 as f64 * (1.0 - c.test_fraction)).ceil();
            (mlp(&widths), c.max_train.map_or(rows, |m| rows.min(m as f64)), widths)
        }
    }
}

/// What the run of `a` costs: one replica of the task's network, its steps (phase 1's cap as a
/// bound) and its recorded checkpoints (`budget`).
fn estimate(a: &Args, precision: Precision) -> Estimate {
    let (params, rows, widths) = network(a.task.task);
    let batch = a.batch.map_or(rows, |b| (b as f64).min(rows));
    let float = if precision == Precision::F32 { 4.0 } else { 8.0 };
    let steps = a.steps as f64;
    let mut interpolation =
        budget::network_steps(1.0, params, rows, a.interpolation_steps as f64, "--interpolation-steps");
    interpolation.bound = true;
    Estimate::new(vec![
        budget::network_replica_batch(1.0, params, rows.max(batch), &widths, float),
        budget::network_series(1.0, steps, a.record_every.unwrap_or((a.steps / 20).max(1)) as f64),
        budget::network_steps(1.0, params, batch, steps, "--steps"),
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
    let outcome = match r.outcome {
        nn::Outcome::Reached { step } => format!("threshold reached after {step} label-noise steps"),
        nn::Outcome::Budget => format!("{} label-noise steps (budget)", r.steps),
        nn::Outcome::Diverged { phase, step } => format!("diverged in {phase:?} after {step} steps"),
    };
    println!("{outcome}; {:.2} s", r.seconds);
}
