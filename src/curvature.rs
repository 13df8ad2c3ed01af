//! `momlab curvature`: the curvature and gradient-noise estimates of a network's full train loss
//! at initialisation or at saved parameters (nn::curvature), and the batch-size predictions of
//! docs/theory.md §5 they give: tr(H) with its 95 % interval, lambda_max, the top Lanczos Ritz
//! values, B_simple, the Gauss–Newton mu_eff for a target loss, B_sgd = tr/L, B_hb =
//! sqrt(kappa_eff) B_sgd.

use crate::output;
use anyhow::{Context, Result, bail};
use nn::curvature::{self, Curvature, Settings};
use nn::tasks::{Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, TeacherStudent, TeacherStudentConfig};
use nn::{Backend, Precision, Task};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::task::{TaskArg, TaskChoice};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    task: TaskChoice,
    /// Estimate at the task's initial parameters.
    #[arg(long, conflicts_with = "checkpoint", required_unless_present = "checkpoint")]
    at_init: bool,
    /// Estimate at the parameters saved by `momlab train --save-params FILE`.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// mu_eff is computed for the target loss (this fraction of the current train loss).
    #[arg(long, default_value = "1e-3", value_parser = crate::args::number)]
    target_fraction: f64,
    /// Hutchinson probes.
    #[arg(long, default_value_t = 64)]
    probes: usize,
    /// Lanczos steps (top eigenvalues and each SLQ probe).
    #[arg(long, default_value_t = 30)]
    lanczos_steps: usize,
    /// The seed of every random probe.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// flex or ndarray (estimates need f64).
    #[arg(long, default_value = "flex")]
    backend: String,
    /// Print every estimate as JSON instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parameters saved by `momlab train --save-params`: the task (its name and settings, which
/// fix the data and the parameter layout) and w.
#[derive(Serialize, Deserialize)]
pub struct Saved {
    pub task: String,
    pub task_config: serde_json::Value,
    pub params: Vec<f64>,
}

pub fn run(a: Args) -> Result<()> {
    if !(a.target_fraction > 0.0 && a.target_fraction < 1.0) {
        bail!("--target-fraction must be in (0, 1), got {}", a.target_fraction);
    }
    let backend: Backend = a.backend.parse()?;
    if backend == Backend::Wgpu {
        bail!("curvature estimates use finite differences in f64: use --backend flex or ndarray");
    }
    let size = a.task.task.size();
    let cost =
        crate::budget::curvature(size.parameters as f64, size.rows as f64, a.probes as f64, a.lanczos_steps as f64);
    crate::budget::check("curvature", &crate::budget::Estimate::new(cost))?;
    let saved = a.checkpoint.as_deref().map(load).transpose()?;
    let seed = a.task.task_seed;
    let c = match a.task.task {
        TaskArg::MatrixSensing => {
            estimate(&MatrixSensing::new(MatrixSensingConfig { seed, ..Default::default() })?, &a, backend, saved)?
        }
        TaskArg::TeacherStudent => {
            estimate(&TeacherStudent::new(TeacherStudentConfig { seed, ..Default::default() })?, &a, backend, saved)?
        }
        TaskArg::Diabetes => {
            estimate(&Diabetes::new(DiabetesConfig { seed, ..Default::default() })?, &a, backend, saved)?
        }
    };
    if a.json {
        return output::print_json(&c);
    }
    print_table(&c);
    Ok(())
}

fn load(path: &Path) -> Result<Saved> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("checkpoint {} is not a saved parameter file", path.display()))
}

fn estimate<T: Task>(task: &T, a: &Args, backend: Backend, saved: Option<Saved>) -> Result<Curvature> {
    let device = nn::device(backend, Precision::F64)?;
    let loaded = task.load(&device);
    let model = match saved {
        None => task.init(&device),
        Some(s) => {
            if s.task != task.name() || s.task_config != task.config() {
                bail!(
                    "the checkpoint is for task {} with other settings, not {} (task seed {})",
                    s.task,
                    task.name(),
                    a.task.task_seed
                );
            }
            if s.params.iter().any(|w| !w.is_finite()) {
                bail!("the checkpoint holds non-finite parameters");
            }
            nn::params::with_values(task.init(&device), &s.params)?
        }
    };
    let settings = Settings {
        probes: a.probes,
        lanczos_steps: a.lanczos_steps,
        slq_steps: a.lanczos_steps,
        seed: a.seed,
        ..Settings::default()
    };
    let target = a.target_fraction * task.train_loss(&model, &loaded);
    Ok(curvature::measure(task, &model, &loaded, &settings, target)?)
}

fn print_table(c: &Curvature) {
    let ci = |x: Option<[f64; 2]>| x.map_or("-".into(), |[lo, hi]| format!("[{lo:.4}, {hi:.4}]"));
    let cell = |x: Option<f64>| output::cell(x, 4);
    println!("{} parameters, {} rows, train loss {:.4e}, target {:.4e}", c.params, c.rows, c.train_loss, c.target);
    println!("tr H          {:.4} ± {:.4} (95 % {})", c.trace.estimate, c.trace.std_error, ci(c.trace_ci95));
    println!("lambda_max    {:.4} (power iteration, residual {:.1e})", c.power.value, c.power.residual);
    let top: Vec<String> = c.top.iter().take(5).map(|(v, _)| format!("{v:.4}")).collect();
    println!("top Ritz      {}", top.join(", "));
    let resolved = if c.noise.resolved { "" } else { "; |G|^2 is at the noise level of the rows' mean: not resolved" };
    println!("B_simple      {:.4} (95 % bootstrap over rows {}{resolved})", c.noise.b_simple, ci(Some(c.noise.ci95)));
    let gn = &c.gauss_newton;
    println!(
        "Gauss–Newton  tr {:.4}, lambda_max {:.4}, T_lin {}, mu_eff {}",
        gn.trace,
        gn.lambda_max,
        cell(gn.linear_time),
        cell(gn.mu_eff)
    );
    match c.hessian_prediction {
        Some(p) => {
            println!("B_sgd         {:.4} (95 % {})  = tr H / lambda_max", p.b_sgd, ci(Some(p.b_sgd_ci)));
            println!("B_hb          {:.4} (95 % {})  kappa_eff {:.1}", p.b_hb, ci(Some(p.b_hb_ci)), p.kappa_eff);
        }
        None => println!(
            "B_sgd         {:.4}  (B_hb: no mu_eff, the linearised model does not reach the target)",
            theory::predict::critical_batch_sgd(c.trace.estimate, c.power.value)
        ),
    }
}
