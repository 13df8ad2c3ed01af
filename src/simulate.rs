//! `momlab simulate`: Monte-Carlo runs of a method on a quadratic (Gaussian regression, randomized
//! Kaczmarz, coordinate descent), beside the exact theory curve and rate.

use crate::args::{self, CaseArgs};
use crate::budget::{self, Estimate, Part, Progress, SystemBuild};
use crate::output;
use crate::sweep::Verbosity;
use anyhow::{Result, bail};
use serde::Serialize;
use sim::{EnsembleConfig, FiniteSumProblem, GaussianRegression, Problem, Sampler, ensemble_with_progress};
use theory::finite_sum::{Sampling, isotropic_start};
use theory::system::{SystemKind, SystemSource};
use theory::{Family, GaussianDynamics, Method, Moments, Predictions, rate};

#[derive(clap::Args)]
pub struct Args {
    /// gaussian (streaming regression, docs/theory.md §2), kaczmarz or cd (finite systems, §6).
    #[arg(long, value_enum, default_value = "gaussian")]
    problem: ProblemArg,
    /// Spectrum: of H for gaussian; the eigenvalues a generated --system is built with.
    #[arg(long)]
    spectrum: Option<String>,
    /// The system of kaczmarz/cd: a CSV file of A, or gen, gen:n=N or gen:n=N,seed=S (built from --spectrum).
    #[arg(long)]
    system: Option<String>,
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
    /// gaussian only: explicit (B d normals per step) or chi2 (d normals, docs/theory.md §7) [default: chi2].
    #[arg(long)]
    sampler: Option<Sampler>,
    /// kaczmarz/cd only: draw the B atoms with or without replacement [default: with].
    #[arg(long, value_enum)]
    sampling: Option<SamplingArg>,
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

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum ProblemArg {
    Gaussian,
    Kaczmarz,
    Cd,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SamplingArg {
    With,
    Without,
}

/// The problem to simulate, with its exact expected loss curve and asymptotic rate.
struct Setup {
    problem: Box<dyn Problem>,
    method: Method,
    /// E\[loss_t\], t = 0..=steps, or shorter where the theory diverged to infinity.
    curve: Vec<f64>,
    theory_rate: f64,
    /// Number of atoms of a finite sum.
    atoms: Option<usize>,
    sampler: Option<Sampler>,
    sampling: Option<Sampling>,
}

/// The Monte-Carlo ensemble of `a` in dimension d, each step costing `step_work` core-ns.
fn ensemble_cost(a: &Args, d: f64, step_work: f64, step_lower: &'static str) -> budget::Ensemble {
    budget::Ensemble {
        d,
        runs: a.runs as f64,
        steps: a.steps as f64,
        checkpoints: (a.checkpoints as f64).min(a.steps as f64 + 1.0),
        threads: rayon::current_num_threads(),
        step_work,
        step_lower,
    }
}

impl Setup {
    /// What the Gaussian problem of `a` costs in dimension d: the spectrum's copies in the
    /// sampler (bytes = 16 d), the exact theory and its curve (work = 3 d steps), the ensemble.
    fn gaussian_cost(a: &Args, d: f64) -> Vec<Part> {
        let (steps, batch) = (a.steps as f64, a.case.batch);
        let explicit = a.sampler == Some(Sampler::Explicit);
        let lower = if explicit { "--steps, --runs or --batch" } else { "--steps or --runs" };
        let step = budget::Ensemble::gaussian_step(d, batch, explicit);
        let mut parts = vec![
            Part::memory("the sampler's eigenvalues and square roots (16 B x d)", "d in --spectrum", 16.0 * d),
            budget::gaussian_theory(d, 1),
            budget::curve(steps),
            Part::work("the exact loss curve (3 ns x d x steps)", "--steps", 3.0 * d * steps),
        ];
        parts.extend(ensemble_cost(a, d, step, lower).parts());
        parts
    }

    fn gaussian(a: &Args, batch: usize) -> Result<Setup> {
        if a.system.is_some() || a.sampling.is_some() {
            bail!("--system and --sampling apply to --problem kaczmarz|cd, not gaussian");
        }
        let Some(spec) = &a.spectrum else { bail!("--problem gaussian needs --spectrum") };
        let spectrum = args::spectrum_within("simulate", spec, |d| Setup::gaussian_cost(a, d))?;
        let method = a.case.method.build(&Predictions::new(&spectrum, batch as f64))?;
        let sampler = a.sampler.unwrap_or(Sampler::ChiSquare);
        Ok(Setup {
            problem: Box::new(GaussianRegression::new(&spectrum, batch, sampler)?),
            curve: GaussianDynamics::new(&spectrum, &method, batch as f64)
                .loss_curve(Moments::isotropic(spectrum.d()), a.steps),
            theory_rate: rate(&spectrum, &method, batch as f64).rho,
            method,
            atoms: None,
            sampler: Some(sampler),
            sampling: None,
        })
    }

    /// What a finite sum of n atoms in dimension d costs with the arguments of `a`: the sum and
    /// its exact theory (`budget::finite_sum`), the curve, the ensemble.
    fn finite_sum_cost(a: &Args, d: f64, n: f64, build: SystemBuild, cd: bool) -> Estimate {
        let lower = if cd { "d in --spectrum or the system" } else { "d in --spectrum or the system's rows (n=)" };
        let steps = a.steps as f64;
        let step = budget::Ensemble::finite_sum_step(d, a.case.batch);
        Estimate::new(budget::finite_sum(d, n, build, cd, lower))
            .with([budget::curve(steps), budget::finite_sum_curve(d, n, steps)])
            .with(ensemble_cost(a, d, step, "--steps, --runs or --batch").parts())
    }

    fn finite_sum(a: &Args, kind: SystemKind, batch: usize) -> Result<Setup> {
        if a.sampler.is_some() {
            bail!("--sampler applies to --problem gaussian; finite sums take --sampling with|without");
        }
        let Some(system) = &a.system else { bail!("--problem kaczmarz|cd needs --system FILE|gen[:n=N][,seed=S]") };
        let source: SystemSource = system.parse()?;
        let cd = kind == SystemKind::CoordinateDescent;
        let spectrum = match &source {
            SystemSource::File(path) => {
                // d x d for coordinate descent; for Kaczmarz, at most one row per two bytes.
                if let Some((bytes, d)) = budget::csv_shape(path) {
                    let n = if cd { d } else { (bytes / (2.0 * d)).max(1.0) };
                    budget::check("simulate", &Setup::finite_sum_cost(a, d, n, SystemBuild::File { bytes }, cd))?;
                }
                a.spectrum.as_deref().map(args::spectrum).transpose()?
            }
            SystemSource::Generated { rows, .. } => match &a.spectrum {
                Some(spec) => Some(args::spectrum_within("simulate", spec, |d| {
                    let n = if cd { d } else { rows.map_or(4.0 * d, |n| n as f64) };
                    Setup::finite_sum_cost(a, d, n, SystemBuild::Generated, cd).parts
                })?),
                None => None,
            },
        };
        let sum = source.finite_sum(kind, spectrum.as_ref())?;
        let sampling = match a.sampling.unwrap_or(SamplingArg::With) {
            SamplingArg::With => Sampling::WithReplacement,
            SamplingArg::Without => Sampling::WithoutReplacement,
        };
        let method = a.case.method.build(&Predictions::new(&sum.spectrum()?, batch as f64))?;
        Ok(Setup {
            curve: sum.loss_curve(&method, batch, sampling, &isotropic_start(sum.dim()), a.steps)?,
            theory_rate: sum.rate(&method, batch, sampling)?,
            atoms: Some(sum.len()),
            problem: Box::new(FiniteSumProblem::new(sum, batch, sampling)?),
            method,
            sampler: None,
            sampling: Some(sampling),
        })
    }
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
    problem: ProblemArg,
    d: usize,
    /// Atoms (rows, coordinates) of a finite sum.
    atoms: Option<usize>,
    method: Family,
    batch: usize,
    parameters: Method,
    sampler: Option<Sampler>,
    sampling: Option<Sampling>,
    runs: usize,
    steps: usize,
    seed: u64,
    /// Per-step rate of the mean loss, fitted on the second half of the checkpoints.
    empirical_rate: Option<f64>,
    /// 95 % interval (jackknife over 20 groups of runs, Student t).
    rate_ci: Option<[f64; 2]>,
    theory_rate: f64,
    /// Per-step rate of the exact curve over the same window: the like-for-like comparison while
    /// the curve is not yet asymptotic.
    theory_window_rate: Option<f64>,
    mean_loss_final: Option<f64>,
    se_loss_final: Option<f64>,
    theory_loss_final: f64,
    diverged_runs: usize,
    /// Runs that reached the target, and their mean iterations to it.
    reached_target: usize,
    mean_iterations_to_target: Option<f64>,
    checkpoints: Vec<Row>,
}

pub fn run(a: Args, verbosity: Verbosity) -> Result<()> {
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
    // Checked here as a whole when the arguments give d, so that the announcement of a long
    // run comes after the check; the setup checks again what only files reveal.
    let estimate = estimate(&a);
    if let Some(e) = &estimate {
        budget::check("simulate", e)?;
    }
    let seconds = estimate.map_or(0.0, |e| e.seconds(rayon::current_num_threads()));
    let progress = Progress::new("simulate", a.runs as u64, seconds, verbosity == Verbosity::Quiet);
    let setup = match a.problem {
        ProblemArg::Gaussian => Setup::gaussian(&a, batch)?,
        ProblemArg::Kaczmarz => Setup::finite_sum(&a, SystemKind::Kaczmarz, batch)?,
        ProblemArg::Cd => Setup::finite_sum(&a, SystemKind::CoordinateDescent, batch)?,
    };
    let config = EnsembleConfig {
        runs: a.runs,
        steps: a.steps,
        checkpoints: EnsembleConfig::even_checkpoints(a.steps, a.checkpoints),
        seed: a.seed,
        eps: a.eps,
    };
    let e = ensemble_with_progress(setup.problem.as_ref(), &setup.method, &config, &|| progress.inc());
    progress.finish();
    let theory_at = |step: usize| sim::curve_at(&setup.curve, step);
    let compared = e.against(&setup.curve);
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
        problem: a.problem,
        d: setup.problem.dim(),
        atoms: setup.atoms,
        method: a.case.method.method,
        batch,
        parameters: setup.method,
        sampler: setup.sampler,
        sampling: setup.sampling,
        runs: a.runs,
        steps: a.steps,
        seed: a.seed,
        empirical_rate: compared.fit.map(|f| f.rate),
        rate_ci: compared.fit.map(|f| f.ci),
        theory_rate: setup.theory_rate,
        theory_window_rate: compared.theory_window_rate,
        mean_loss_final: compared.last.map(|l| l.0),
        se_loss_final: compared.last.map(|l| l.1),
        theory_loss_final: theory_at(a.steps),
        diverged_runs: e.diverged_runs,
        reached_target: compared.reached_target,
        mean_iterations_to_target: compared.mean_iterations_to_target,
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
            println!("rate: empirical {r:.6} (95 % CI {lo:.6} .. {hi:.6}), theory {:.6}", summary.theory_rate);
            if let Some(w) = summary.theory_window_rate {
                println!("      exact curve over the same window {w:.6}");
            }
        }
        _ => println!("rate: too few surviving runs to fit; theory {:.6}", summary.theory_rate),
    }
    Ok(())
}

/// The whole estimate of `a` when its arguments give d (a spectrum specification that names it,
/// with a generated system for a finite sum); None when d is only known once a file is read.
fn estimate(a: &Args) -> Option<Estimate> {
    let cost = budget::spectrum(a.spectrum.as_deref()?);
    let d = cost.d?;
    let problem = match a.problem {
        ProblemArg::Gaussian => Estimate::new(Setup::gaussian_cost(a, d)),
        _ => {
            let cd = a.problem == ProblemArg::Cd;
            let Ok(SystemSource::Generated { rows, .. }) = a.system.as_deref()?.parse::<SystemSource>() else {
                return None;
            };
            let n = if cd { d } else { rows.map_or(4.0 * d, |n| n as f64) };
            Setup::finite_sum_cost(a, d, n, SystemBuild::Generated, cd)
        }
    };
    Some(Estimate::new(cost.parts).with(problem.parts))
}
