//! `momlab simulate`: Monte-Carlo runs of a method on Gaussian regression, beside the exact
//! theory curve and rate.

use crate::args::{self, CaseArgs};
use crate::output;
use anyhow::{Result, bail};
use serde::Serialize;
use sim::{EnsembleConfig, GaussianRegression, Sampler, ensemble};
use theory::{Family, GaussianDynamics, Moments, Predictions, rate};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    case: CaseArgs,
    /// Steps per run.
    #[arg(long)]
    steps: usize,
    /// Independent runs.
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// Seed of the whole ensemble (run r uses the stream of (seed, r)).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// explicit (B d normals per step) or chi2 (d normals per step, THEORY.md §7).
    #[arg(long, default_value = "chi2")]
    sampler: Sampler,
    /// Number of checkpoints, evenly spaced over 0..=steps.
    #[arg(long, default_value_t = 51)]
    checkpoints: usize,
    /// Target for per-run iterations to target: loss <= eps loss_0.
    #[arg(long = "target", default_value = "1e-4", value_parser = args::number)]
    eps: f64,
    /// Write per-checkpoint statistics to this CSV file.
    #[arg(long)]
    csv: Option<std::path::PathBuf>,
    /// Print the JSON summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    step: usize,
    alive: usize,
    mean: f64,
    se: f64,
    q10: f64,
    q50: f64,
    q90: f64,
    theory: f64,
}

#[derive(Serialize)]
struct Summary {
    method: Family,
    batch: usize,
    parameters: theory::Method,
    sampler: Sampler,
    runs: usize,
    steps: usize,
    seed: u64,
    /// Per-step rate of the mean loss, fitted on the second half of the checkpoints.
    empirical_rate: Option<f64>,
    /// 95 % interval (jackknife over 20 groups of runs, Student t).
    rate_ci: Option<[f64; 2]>,
    theory_rate: f64,
    mean_loss_final: Option<f64>,
    se_loss_final: Option<f64>,
    theory_loss_final: f64,
    diverged_runs: usize,
    /// Runs that reached the target, and their mean iterations to it.
    reached_target: usize,
    mean_iterations_to_target: Option<f64>,
    checkpoints: Vec<Row>,
}

pub fn run(a: Args) -> Result<()> {
    let spectrum = args::spectrum(&a.case.spectrum)?;
    if a.case.batch.is_infinite() {
        bail!("simulate needs a finite --batch");
    }
    if a.steps == 0 || a.runs < 2 || a.checkpoints < 2 {
        bail!("simulate needs --steps >= 1, --runs >= 2 and --checkpoints >= 2");
    }
    if !(a.eps > 0.0 && a.eps < 1.0) {
        bail!("--target must be in (0, 1), got {}", a.eps);
    }
    let batch = a.case.batch as usize;
    let method = a.case.method.build(&Predictions::new(&spectrum, a.case.batch))?;
    let config = EnsembleConfig {
        runs: a.runs,
        steps: a.steps,
        checkpoints: EnsembleConfig::even_checkpoints(a.steps, a.checkpoints),
        seed: a.seed,
        eps: a.eps,
    };
    let e = ensemble(&GaussianRegression::new(&spectrum, batch, a.sampler), &method, &config);
    let exact =
        GaussianDynamics::new(&spectrum, &method, a.case.batch).loss_curve(Moments::isotropic(spectrum.d()), a.steps);
    let theory_at = |step: usize| exact.get(step).copied().unwrap_or(f64::INFINITY);
    let n = e.checkpoints.len();
    let fit = e.fit_rate([n / 2, n - 1], 20);
    let last = e.checkpoints.last().filter(|c| c.alive > 0);
    let hits: Vec<usize> = e.hits.iter().flatten().copied().collect();
    let rows: Vec<Row> = e
        .checkpoints
        .iter()
        .map(|c| Row {
            step: c.step,
            alive: c.alive,
            mean: c.mean,
            se: c.se,
            q10: c.q10,
            q50: c.q50,
            q90: c.q90,
            theory: theory_at(c.step),
        })
        .collect();
    if let Some(path) = &a.csv {
        output::write_csv(path, &rows)?;
    }
    let summary = Summary {
        method: a.case.method.method,
        batch,
        parameters: method,
        sampler: a.sampler,
        runs: a.runs,
        steps: a.steps,
        seed: a.seed,
        empirical_rate: fit.map(|f| f.rate),
        rate_ci: fit.map(|f| f.ci),
        theory_rate: rate(&spectrum, &method, a.case.batch).rho,
        mean_loss_final: last.map(|c| c.mean),
        se_loss_final: last.map(|c| c.se),
        theory_loss_final: theory_at(a.steps),
        diverged_runs: e.diverged_runs,
        reached_target: hits.len(),
        mean_iterations_to_target: (!hits.is_empty()).then(|| hits.iter().sum::<usize>() as f64 / hits.len() as f64),
        checkpoints: rows,
    };
    if a.json {
        return output::print_json(&summary);
    }
    println!("{:>8} {:>7} {:>14} {:>12} {:>14}", "step", "alive", "mean loss", "SE", "theory");
    for r in &summary.checkpoints {
        // No surviving run: no statistics (never print NaN).
        let (mean, se) =
            if r.alive > 0 { (format!("{:.6e}", r.mean), format!("{:.3e}", r.se)) } else { ("-".into(), "-".into()) };
        println!("{:>8} {:>7} {:>14} {:>12} {:>14.6e}", r.step, r.alive, mean, se, r.theory);
    }
    println!("diverged runs: {} of {}", summary.diverged_runs, summary.runs);
    match (summary.empirical_rate, summary.rate_ci) {
        (Some(r), Some([lo, hi])) => {
            println!("rate: empirical {r:.6} (95 % CI {lo:.6} .. {hi:.6}), theory {:.6}", summary.theory_rate)
        }
        _ => println!("rate: too few surviving runs to fit; theory {:.6}", summary.theory_rate),
    }
    Ok(())
}
