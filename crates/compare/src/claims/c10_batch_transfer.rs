//! C10: do the batch-size predictions of the quadratic theory (docs/theory.md §5) transfer to
//! networks? Per task (the teacher–student MLP and the diabetes MLP of the nn crate):
//!
//! ```text
//!     estimate   at initialisation and along full-batch GD (steps 0, 1, 2, 4, ...):  tr H
//!                (Hutchinson), L = lambda_max (power iteration), B_simple, the Gauss–Newton
//!                spectrum and mu_eff = L / (2 T_lin) for the target loss      (nn::curvature)
//!     predict    B_sgd = tr/L and B_simple at initialisation; kappa_eff at the first point of
//!                the path where the linearised model reaches the target; B_hb = sqrt(kappa_eff)
//!                B_sgd
//!     measure    steps T(B) to the target loss for SGD and heavy ball (momentum from the
//!                closed-form rule (A) of docs/theory.md §5 with L_B = L (1 + 1/B) + tr/B and mu_eff,
//!                and from a small grid), the learning rate tuned per B   (nn::critical)
//! ```
//!
//! The critical batch of a curve T(B): the hyperbola T(B) = T_inf (1 + B*/B) (the shape of the
//! quadratic theory's max(tr/(B mu), kappa), smoothed) fitted by least squares in log T; B* is
//! where B T(B) is twice its small-batch value T_inf B*. Heavy ball's curve is the best of its
//! arms per B. Intervals: percentile bootstrap over seeds (the seeds resampled jointly for all
//! cells, so common random numbers stay common). The crossing of 2 T(B_1) B_1 by B T(B) on the
//! grid (log-log interpolation) is reported beside.
//!
//! Verdict per task: B_crit(SGD) against each prediction P (tr/L and B_simple), in log units
//! ([`Check::band`], see [`transfer_check`]):
//!
//! ```text
//!     r = ln(B* / P) ± u,  u = sqrt(u_B*^2 + u_P^2)   (each u the wider side of its 95 % interval)
//!     pass          [r - u, r + u] inside [-ln factor, ln factor]   (factor = 3)
//!     fail          it misses the band;   inconclusive otherwise, or B* outside the grid
//! ```
//!
//! The task passes if both checks pass; C10 passes if every task does. The measured ratio
//! B_sat(HB) / B_crit(SGD) is reported next to the predicted sqrt(kappa_eff) (not part of the
//! verdict).

use crate::Training;
use crate::claims::ClaimResult;
use crate::error::Result;
use crate::profile::{self, Profile};
use crate::registry::ClaimSpec;
use crate::verdict::{Check, Verdict};
use nn::critical::{self, Arm, BatchGrid, BatchSweep, Cell};
use nn::curvature::{self, Curvature, PathPoint, Settings};
use nn::tasks::{Diabetes, DiabetesConfig, Task, TeacherStudent, TeacherStudentConfig};
use nn::{Backend, Precision};
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::json;
use theory::predict::{HbRule, critical_batch_hb_from_kappa, critical_batch_sgd, smoothness};

/// The claim's tolerance, fixed in its file.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// B_crit(SGD) must be within this factor of tr/L and of B_simple.
    pub factor: f64,
}

/// The size of the sweep under one profile.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSweep {
    /// Heavy-ball momenta of the grid (besides SGD and the rule).
    pub betas: usize,
    /// Seeds 0..seeds.
    pub seeds: usize,
    /// Batches are powers of two up to this (and the full batch when it is within).
    pub max_batch: usize,
    /// At most this many train rows per task (all when absent).
    #[serde(default)]
    pub max_train: Option<usize>,
}

/// One task: its settings (nn's config type) and the target loss as a fraction of the initial.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskProtocol<C> {
    pub task: C,
    pub target: f64,
}

/// The claim's protocol. See the [module docs](self).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// How much work each curvature estimate gets.
    pub curvature: Settings,
    /// Curvature along full-batch GD at steps 0, 1, 2, 4, ... up to this.
    pub path_steps: usize,
    /// The sweep: learning rates halving from twice the stability edge down to 1/(floor tr);
    /// the walk's slack; the largest step budget of one run.
    pub floor: f64,
    pub cap: f64,
    pub budget: usize,
    /// Heavy-ball momenta geometric in 1 - beta over [beta_min, beta_max].
    pub beta: [f64; 2],
    pub teacher_student: TaskProtocol<TeacherStudentConfig>,
    pub diabetes: TaskProtocol<DiabetesConfig>,
    pub smoke: ProfileSweep,
    pub quick: ProfileSweep,
    pub full: ProfileSweep,
}

impl Protocol {
    fn sweep(&self, profile: Profile) -> &ProfileSweep {
        profile.choose(&self.smoke, &self.quick, &self.full)
    }

    /// The heavy-ball momenta of `profile`'s grid.
    fn betas(&self, profile: Profile) -> Vec<f64> {
        let one_minus = profile::geometric([1.0 - self.beta[0], 1.0 - self.beta[1]], self.sweep(profile).betas);
        one_minus.into_iter().map(|x| 1.0 - x).collect()
    }

    /// The teacher–student task under `profile` (train rows capped by its `max_train`).
    fn teacher_student(&self, profile: Profile) -> Result<TeacherStudent> {
        let mut config = self.teacher_student.task.clone();
        config.train = config.train.min(self.sweep(profile).max_train.unwrap_or(usize::MAX));
        Ok(TeacherStudent::new(config)?)
    }

    /// The diabetes task under `profile` (train rows capped by its `max_train`).
    fn diabetes(&self, profile: Profile) -> Result<Diabetes> {
        let mut config = self.diabetes.task.clone();
        config.max_train = match (config.max_train, self.sweep(profile).max_train) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Diabetes::new(config)?)
    }
}

/// Checks the claim file at load: typed tolerance and protocol, both tasks buildable.
pub fn validate(spec: &ClaimSpec) -> Result<()> {
    spec.typed::<Tolerance>()?;
    let p: Protocol = spec.typed_protocol()?;
    p.curvature.validate()?;
    p.teacher_student(Profile::Full)?;
    p.diabetes(Profile::Full)?;
    Ok(())
}

/// A critical batch measured on one T(B) curve. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Critical {
    /// B* of the hyperbola fit, T_inf, and whether B* is outside the measured batches.
    pub b_star: f64,
    pub t_inf: f64,
    pub beyond_grid: bool,
    /// 95 % bootstrap interval of B*.
    pub ci95: [f64; 2],
    /// Where B T(B) first reaches twice its value at the smallest batch (None: not on the grid).
    pub crossing: Option<f64>,
}

/// The hyperbola T(B) = T_inf (1 + B*/B) fitted to (B, T) pairs by least squares in log T:
/// for each B* the best log T_inf is the mean of log T - log(1 + B*/B); B* is searched on a
/// log grid from B_min/100 to 100 B_max and refined by golden sections. None with fewer than
/// three points.
pub fn hyperbola(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 {
        return None;
    }
    let cost = |log_b: f64| -> (f64, f64) {
        let b = log_b.exp();
        let r: Vec<f64> = points.iter().map(|&(x, t)| t.ln() - (1.0 + b / x).ln()).collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        (r.iter().map(|v| (v - mean).powi(2)).sum(), mean)
    };
    let lo = (points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min) / 100.0).ln();
    let hi = (points.iter().map(|p| p.0).fold(0.0, f64::max) * 100.0).ln();
    let n = 400;
    let at = |k: usize| lo + (hi - lo) * k as f64 / n as f64;
    let k = (0..=n).min_by(|&a, &b| cost(at(a)).0.total_cmp(&cost(at(b)).0))?;
    let (mut a, mut b) = (at(k.saturating_sub(1)), at((k + 1).min(n)));
    let g = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..60 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if cost(c).0 < cost(d).0 { b = d } else { a = c }
    }
    let log_b = 0.5 * (a + b);
    Some((log_b.exp(), cost(log_b).1.exp()))
}

/// Where B T(B) first reaches twice its value at the first point, interpolated in log-log.
fn crossing(points: &[(f64, f64)]) -> Option<f64> {
    let s: Vec<(f64, f64)> = points.iter().map(|&(b, t)| (b.ln(), (b * t).ln())).collect();
    let level = s.first()?.1 + 2f64.ln();
    let j = s.iter().position(|p| p.1 >= level)?;
    let (x0, y0, x1, y1) = (s[j - 1].0, s[j - 1].1, s[j].0, s[j].1);
    Some((x0 + (level - y0) / (y1 - y0) * (x1 - x0)).exp())
}

/// T(B) of `cells` (one arm, or the best of several per batch) with seed weights `draw`
/// (indices into the seeds, with repetition): per point the mean of log T over the draw,
/// censored if any drawn seed is; per batch the fastest point of any of the cells.
fn curve(cells: &[Vec<&Cell>], draw: &[usize]) -> Vec<(f64, f64)> {
    let batches = cells[0].len();
    (0..batches)
        .filter_map(|j| {
            let best = cells
                .iter()
                .flat_map(|arm| &arm[j].points)
                .filter_map(|p| {
                    let logs: Option<Vec<f64>> =
                        draw.iter().map(|&s| p.times[s].map(|t| (t.max(1) as f64).ln())).collect();
                    logs.map(|l| l.iter().sum::<f64>() / l.len() as f64)
                })
                .min_by(f64::total_cmp)?;
            Some((cells[0][j].batch as f64, best.exp()))
        })
        .collect()
}

/// The critical batch of the arms `arms` of `sweep` with a bootstrap over seeds.
fn critical(sweep: &BatchSweep, arms: &[&str], resamples: usize, seed: u64) -> Option<Critical> {
    let cells: Vec<Vec<&Cell>> = arms.iter().map(|a| sweep.arm(a)).collect();
    let seeds = sweep.grid.seeds.len();
    let all: Vec<usize> = (0..seeds).collect();
    let points = curve(&cells, &all);
    let (b_star, t_inf) = hyperbola(&points)?;
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut boot: Vec<f64> = (0..resamples)
        .filter_map(|_| {
            let draw: Vec<usize> = (0..seeds).map(|_| rng.random_range(0..seeds)).collect();
            hyperbola(&curve(&cells, &draw)).map(|h| h.0)
        })
        .collect();
    boot.sort_by(f64::total_cmp);
    let q = |f: f64| boot.get(((f * boot.len() as f64) as usize).min(boot.len().saturating_sub(1))).copied();
    let max_b = sweep.grid.batches.last().copied().unwrap_or(1) as f64;
    Some(Critical {
        b_star,
        t_inf,
        beyond_grid: b_star > max_b || b_star < sweep.grid.batches[0] as f64,
        ci95: [q(0.025).unwrap_or(b_star), q(0.975).unwrap_or(b_star)],
        crossing: crossing(&points),
    })
}

/// The half-width, in log units, of a 95 % interval `ci` around `value`: its wider side.
fn log_half_width(value: f64, ci: [f64; 2]) -> f64 {
    (value / ci[0]).ln().max((ci[1] / value).ln()).max(0.0)
}

/// The measured critical batch `sgd` against a prediction with its 95 % interval, in log units
/// against [-ln factor, ln factor] (see the [module docs](self)); inconclusive without a
/// measured B* inside the grid.
pub fn transfer_check(sgd: Option<&Critical>, prediction: f64, prediction_ci: [f64; 2], factor: f64) -> Check {
    let inside = sgd.filter(|s| !s.beyond_grid);
    let value = inside.map(|s| (s.b_star / prediction).ln());
    let u_measured = inside.map_or(0.0, |s| log_half_width(s.b_star, s.ci95));
    let u = u_measured.hypot(log_half_width(prediction, prediction_ci));
    Check::band(value, u, -factor.ln(), factor.ln())
}

/// The predictions from the estimates along the GD path. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Predicted {
    pub b_sgd: f64,
    pub b_sgd_ci: [f64; 2],
    pub b_simple: f64,
    pub b_simple_ci: [f64; 2],
    /// kappa_eff, and the GD step of the path point it comes from.
    pub kappa_eff: Option<f64>,
    pub kappa_step: Option<usize>,
    pub b_hb: Option<f64>,
    pub mu_eff: Option<f64>,
}

impl Predicted {
    fn new(path: &[PathPoint]) -> Self {
        let c0 = &path[0].curvature;
        let l = c0.power.value;
        let [lo, hi] = c0.trace_ci95.unwrap_or([c0.trace.estimate; 2]);
        let kappa_at = path.iter().find(|p| p.curvature.hessian_prediction.is_some());
        let kappa_eff = kappa_at.and_then(|p| p.curvature.hessian_prediction).map(|p| p.kappa_eff);
        let b_sgd = critical_batch_sgd(c0.trace.estimate, l);
        Predicted {
            b_sgd,
            b_sgd_ci: [critical_batch_sgd(lo, l), critical_batch_sgd(hi, l)],
            b_simple: c0.noise.b_simple,
            b_simple_ci: c0.noise.ci95,
            kappa_eff,
            kappa_step: kappa_at.map(|p| p.step),
            b_hb: kappa_eff.map(|k| critical_batch_hb_from_kappa(b_sgd, k)),
            mu_eff: kappa_eff.map(|k| l / k),
        }
    }
}

/// One estimate along the path, for the report (the full estimates stay at initialisation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathSummary {
    pub step: usize,
    pub train_loss: f64,
    pub trace: f64,
    pub trace_se: f64,
    pub lambda_max: f64,
    pub b_sgd: f64,
    pub b_simple: f64,
    pub gn_trace: f64,
    pub linear_time: Option<f64>,
    pub kappa_eff: Option<f64>,
}

impl PathSummary {
    fn new(p: &PathPoint) -> Self {
        let c = &p.curvature;
        PathSummary {
            step: p.step,
            train_loss: c.train_loss,
            trace: c.trace.estimate,
            trace_se: c.trace.std_error,
            lambda_max: c.power.value,
            b_sgd: critical_batch_sgd(c.trace.estimate, c.power.value),
            b_simple: c.noise.b_simple,
            gn_trace: c.gauss_newton.trace,
            linear_time: c.gauss_newton.linear_time,
            kappa_eff: c.hessian_prediction.map(|h| h.kappa_eff),
        }
    }
}

/// Everything C10 measured on one task: the summary its verdict and figures read, and the full
/// estimates at initialisation and the sweep beside it (report.json holds all, flattened).
#[derive(Clone, Debug, Serialize)]
pub struct TaskResult {
    #[serde(flatten)]
    pub summary: TaskSummary,
    pub initial: Curvature,
    pub sweep: BatchSweep,
}

/// One task's predictions, measured critical batches, curves and verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub task: String,
    pub target: f64,
    /// The SLQ density at initialisation smoothed by a Gaussian of 1 % of its range: (lambda, phi).
    pub density: Vec<(f64, f64)>,
    /// The estimates along the GD path; the first is at initialisation.
    pub path: Vec<PathSummary>,
    pub predicted: Predicted,
    /// T(B) per arm and for heavy ball's best arm ("hb"): (B, T) of the timed batches.
    pub curves: Vec<(String, Vec<(f64, f64)>)>,
    pub sgd: Option<Critical>,
    pub hb: Option<Critical>,
    /// B_sat(HB) / B_crit(SGD), measured, next to sqrt(kappa_eff).
    pub hb_ratio: Option<f64>,
    /// ln(B_crit(SGD) / P) against [-ln factor, ln factor] for P = tr/L and P = B_simple.
    pub checks: [Check; 2],
    pub verdict: Verdict,
}

/// report.json's `measured` of C10 as its figures read it: the tasks' summaries.
#[derive(Clone, Debug, Deserialize)]
pub struct Measured {
    pub tasks: Vec<TaskSummary>,
}

/// The batches of the sweep: powers of two up to `max_batch` and below the train rows, then
/// the full batch.
fn batches(max_batch: usize, rows: usize) -> Vec<usize> {
    let mut b: Vec<usize> = (0..).map(|k| 1usize << k).take_while(|&b| b <= max_batch && b < rows).collect();
    if max_batch >= rows {
        b.push(rows);
    }
    b
}

/// The device the curvature is estimated on: finite differences of gradients need f64, so
/// when the training runs in f32 the estimates use the other CPU backend in f64 (a device's
/// precision is fixed once per process).
fn curvature_device(training: Training) -> Result<nn::Device> {
    let backend = match (training.precision, training.backend) {
        (Precision::F64, b) => b,
        (Precision::F32, Backend::Flex) => Backend::Ndarray,
        (Precision::F32, _) => Backend::Flex,
    };
    Ok(nn::device(backend, Precision::F64)?)
}

/// The number of curvature points and training runs is not known in advance (the walks stop
/// early); this is the progress bar's estimate: arms x batches x seeds x 4 learning rates.
pub fn runs(spec: &ClaimSpec, profile: Profile) -> Result<u64> {
    let p: Protocol = spec.typed_protocol()?;
    let sweep = p.sweep(profile);
    let arms = 2 + sweep.betas;
    Ok((2 * arms * (sweep.max_batch.ilog2() as usize + 2) * sweep.seeds * 4) as u64)
}

#[allow(clippy::too_many_arguments)]
fn one_task<T: Task + Sync>(
    p: &Protocol,
    tol: &Tolerance,
    target_fraction: f64,
    profile: Profile,
    training: Training,
    task: &T,
    run_done: &(dyn Fn() + Sync),
) -> Result<TaskResult> {
    let sweep = p.sweep(profile);
    let device = curvature_device(training)?;
    let loaded = task.load(&device);
    let initial_loss = task.train_loss(&task.init(&device), &loaded);
    let target = target_fraction * initial_loss;
    let path = curvature::along_gd(task, &loaded, &p.curvature, target, p.path_steps)?;
    let c0 = &path[0].curvature;
    let predicted = Predicted::new(&path);
    let batches = batches(sweep.max_batch, task.data().train.rows);
    let (l, tr) = (c0.power.value, c0.trace.estimate);
    let rule: Vec<f64> = batches
        .iter()
        .map(|&b| {
            let l_b = smoothness(l, tr, b as f64);
            predicted.mu_eff.map_or(0.0, |mu| HbRule::deterministic(l_b, mu.min(l_b)).momentum)
        })
        .collect();
    let mut arms = vec![Arm { label: "sgd".into(), momentum: vec![0.0; batches.len()] }];
    if predicted.mu_eff.is_some() {
        arms.push(Arm { label: "hb_rule".into(), momentum: rule });
    }
    arms.extend(
        p.betas(profile).iter().map(|&b| Arm { label: format!("hb_{b:.3}"), momentum: vec![b; batches.len()] }),
    );
    let grid = BatchGrid {
        batches,
        arms,
        lambda_max: l,
        trace: tr,
        floor: p.floor,
        seeds: (0..sweep.seeds as u64).collect(),
        target,
        budget: p.budget,
        cap: p.cap,
    };
    let sweep = critical::run(task, training.backend, training.precision, &grid, run_done)?;
    let hb_arms: Vec<&str> = grid.arms.iter().skip(1).map(|a| a.label.as_str()).collect();
    let all: Vec<usize> = (0..grid.seeds.len()).collect();
    let mut curves: Vec<(String, Vec<(f64, f64)>)> =
        grid.arms.iter().map(|a| (a.label.clone(), curve(&[sweep.arm(&a.label)], &all))).collect();
    curves.push(("hb".into(), curve(&hb_arms.iter().map(|a| sweep.arm(a)).collect::<Vec<_>>(), &all)));
    let sgd = critical(&sweep, &["sgd"], p.curvature.resamples, 1);
    let hb = critical(&sweep, &hb_arms, p.curvature.resamples, 2);
    let checks = [
        transfer_check(sgd.as_ref(), predicted.b_sgd, predicted.b_sgd_ci, tol.factor),
        transfer_check(sgd.as_ref(), predicted.b_simple, predicted.b_simple_ci, tol.factor),
    ];
    let summary = TaskSummary {
        task: task.name().into(),
        target,
        density: smoothed(&path[0].curvature.density),
        path: path.iter().map(PathSummary::new).collect(),
        predicted,
        hb_ratio: sgd.zip(hb).map(|(s, h)| h.b_star / s.b_star),
        curves,
        sgd,
        hb,
        verdict: Verdict::all(checks.iter().map(|c| c.verdict)),
        checks,
    };
    Ok(TaskResult { summary, initial: path[0].curvature.clone(), sweep })
}

/// `density` on 401 points spanning its nodes (± 3 widths), Gaussian width 1 % of the range.
fn smoothed(density: &nn::lanczos::Density) -> Vec<(f64, f64)> {
    let (lo, hi) = density.nodes.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, n| (a.0.min(n.0), a.1.max(n.0)));
    if lo.is_nan() || hi.is_nan() || lo >= hi {
        return Vec::new();
    }
    let sigma = 0.01 * (hi - lo);
    let xs: Vec<f64> = (0..=400).map(|i| lo - 3.0 * sigma + (hi - lo + 6.0 * sigma) * i as f64 / 400.0).collect();
    let ys = density.smoothed(&xs, sigma);
    xs.into_iter().zip(ys).collect()
}

/// Runs C10 under `profile` on `training`'s backend and decides its verdict.
pub fn evaluate(
    spec: &ClaimSpec,
    profile: Profile,
    training: Training,
    run_done: &(dyn Fn() + Sync),
) -> Result<ClaimResult> {
    // The two tasks run concurrently (each sweep's rounds are serial); each is deterministic alone.
    let (p, tol): (Protocol, Tolerance) = (spec.typed_protocol()?, spec.typed()?);
    let (student, diabetes) = rayon::join(
        || one_task(&p, &tol, p.teacher_student.target, profile, training, &p.teacher_student(profile)?, run_done),
        || one_task(&p, &tol, p.diabetes.target, profile, training, &p.diabetes(profile)?, run_done),
    );
    let tasks = vec![student?, diabetes?];
    let verdict = Verdict::all(tasks.iter().map(|t| t.summary.verdict));
    let fmt = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.1}"));
    let ratio = |c: &Check| {
        let margin = c.margin.map_or(String::new(), |m| format!(", margin {m:+.1}"));
        c.value.map_or("n/a (B* not inside the grid)".into(), |r| {
            format!("×{:.2} (÷{:.2}){margin}", r.exp(), c.uncertainty.exp())
        })
    };
    let summary = tasks
        .iter()
        .map(|TaskResult { summary: t, .. }| {
            format!(
                "{}: {} B_crit(SGD) = {} [{}, {}] vs tr/L = {:.1} {}, vs B_simple = {:.1} {}; HB/SGD window {} vs sqrt(kappa_eff) {}",
                t.task,
                t.verdict.name(),
                fmt(t.sgd.map(|s| s.b_star)),
                fmt(t.sgd.map(|s| s.ci95[0])),
                fmt(t.sgd.map(|s| s.ci95[1])),
                t.predicted.b_sgd,
                ratio(&t.checks[0]),
                t.predicted.b_simple,
                ratio(&t.checks[1]),
                fmt(t.hb_ratio),
                fmt(t.predicted.kappa_eff.map(f64::sqrt)),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let predicted = json!(
        tasks.iter().map(|t| (&t.summary.task, t.summary.predicted)).collect::<std::collections::BTreeMap<_, _>>()
    );
    let measured = json!({"tasks": tasks, "training": training});
    Ok(ClaimResult::new(spec, predicted, measured, verdict, summary))
}
