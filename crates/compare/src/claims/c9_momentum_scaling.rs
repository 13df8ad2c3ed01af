//! C9: the momentum scaling of label-noise heavy ball (docs/theory.md §1.3, §8; Cowsik, Can,
//! Glorioso): with 1 - beta = C eta^g, training is fastest at g = 2/3. Tested per task, on every
//! task of the claim file (matrix sensing, the teacher–student MLP, the diabetes MLP on real
//! data).
//!
//! The measurement is [`nn::scan`]: from one interpolating point of a task, label-noise HB for
//! every (eta, 1 - beta) of a grid and several seeds, timed to the task's implicit regulariser
//! (|U|_F^2, or the Gauss–Newton trace of the MLPs) <= threshold (the approach along the
//! manifold). Per learning rate:
//!
//! ```text
//!     T(1 - beta)     geometric mean over seeds (censored if any seed did not arrive)
//!     T*              min over the grid;   (1 - beta)_min where it is attained
//!     (1 - beta)*     the knee: the largest 1 - beta with T <= k T*, by linear interpolation of
//!                     log T in log(1 - beta) between the last grid point below k T* and the next
//!                     (the local fit). k = `knee` (1.25) in the claim file.
//!     (1 - beta)_fit  the vertex of the parabola through the minimum and its two neighbours, when
//!                     the minimum is interior and the parabola convex
//! ```
//!
//! Why the knee: below (1 - beta) ~ (eta eps)^(2/3) the momentum is not damped within the run,
//! the label-noise kicks accumulate, and the drift along the manifold no longer gets faster:
//! T(1 - beta) has a plateau there (or rises again), so its minimum sits anywhere on the plateau
//! (often the grid's smallest 1 - beta), set by noise. The fastest training with the least
//! momentum is the edge of that plateau, where the damping time 1/(1 - beta) meets the drift
//! time — the two timescales of §1.3. Both estimates are reported.
//!
//! Fits (least squares in log-log with 95 % intervals, [`log_log_fit`]):
//! log(1 - beta)* = log C + g log eta, and log T* = a - p log eta (predicted p = 2/3); also g
//! over every three consecutive learning rates (g per eta range, docs/theory.md §8's caution).
//!
//! Verdict per task, with h the half-width of g's 95 % interval (the exponent form of the other
//! claims, [`Check::band`]):
//!
//! ```text
//!     pass          the whole interval lies inside [2/3 - g_abs, 2/3 + g_abs]
//!     fail          the whole interval lies outside it
//!     inconclusive  otherwise (g within its own uncertainty of the band's edge; an interval
//!                   that merely contains 2/3 is not enough when it also reaches g's that the
//!                   tolerance calls wrong), or fewer than three knees
//!     margin        (g_abs - |g - 2/3|) / h
//! ```
//!
//! Whether the interval contains 2/3 is reported beside the verdict.
//!
//! The claim passes when every task passes ([`Verdict::all`]); a task where the law fails is a
//! finding, shown with its local exponents.

use crate::Training;
use crate::claims::{ClaimResult, measured_json};
use crate::error::{Error, Result};
use crate::profile::{self, Profile};
use crate::registry::ClaimSpec;
use crate::verdict::{Check, LogLogFit, Verdict, log_log_fit};
use nn::scan::{self, MomentumGrid, Point, Scan};
use nn::tasks::{Diabetes, DiabetesConfig, MatrixSensing, MatrixSensingConfig, TeacherStudent, TeacherStudentConfig};
use nn::{Interpolation, Task};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The optimum momentum at one learning rate. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Optimum {
    pub lr: f64,
    /// T* (geometric mean over seeds) and the 1 - beta where it is attained.
    pub t_min: f64,
    pub at_min: f64,
    /// Whether the minimum is at the grid's smallest 1 - beta (a plateau, or a grid too short).
    pub min_at_edge: bool,
    /// The vertex of the local parabola (interior, convex minimum only).
    pub min_fit: Option<f64>,
    /// (1 - beta)*: the knee at `knee` T*; None when T stays below it to the grid's end.
    pub knee: Option<f64>,
    /// eta / (1 - beta)* at the knee.
    pub effective_lr: Option<f64>,
    /// MomentumGrid points with a time, and censored ones.
    pub timed: usize,
    pub censored: usize,
}

/// The optimum of one learning rate's points (increasing 1 - beta); None if no point has a time.
pub fn optimum(points: &[Point], knee: f64) -> Option<Optimum> {
    let log_t: Vec<Option<f64>> = points.iter().map(Point::log_time).collect();
    let (i, min) =
        log_t.iter().enumerate().filter_map(|(i, t)| t.map(|t| (i, t))).min_by(|a, b| a.1.total_cmp(&b.1))?;
    let x: Vec<f64> = points.iter().map(|p| p.one_minus_beta.ln()).collect();
    let min_fit = (i > 0 && i + 1 < points.len())
        .then(|| Some((log_t[i - 1]?, log_t[i + 1]?)))
        .flatten()
        .and_then(|(l, r)| parabola_vertex([x[i - 1], x[i], x[i + 1]], [l, min, r]))
        .map(f64::exp);
    // The knee: the first point after the minimum above the level (a censored point's log T is
    // at least log of its budget), interpolated from the point before it.
    let level = min + knee.ln();
    let above = (i + 1..points.len()).find(|&j| log_t[j].is_none_or(|t| t > level));
    let knee = above.map(|j| {
        let right = log_t[j].unwrap_or((points[j].budget.max(1) as f64).ln());
        let left = log_t[j - 1].expect("every point between the minimum and j has a time");
        let f = ((level - left) / (right - left)).clamp(0.0, 1.0);
        (x[j - 1] + f * (x[j] - x[j - 1])).exp()
    });
    let lr = points[0].lr;
    Some(Optimum {
        lr,
        t_min: min.exp(),
        at_min: points[i].one_minus_beta,
        min_at_edge: i == 0,
        min_fit,
        knee,
        effective_lr: knee.map(|k| lr / k),
        timed: log_t.iter().flatten().count(),
        censored: log_t.iter().filter(|t| t.is_none()).count(),
    })
}

/// The vertex x of the parabola through three points, if it opens upwards.
fn parabola_vertex(x: [f64; 3], y: [f64; 3]) -> Option<f64> {
    let d1 = (y[1] - y[0]) / (x[1] - x[0]);
    let d2 = (y[2] - y[1]) / (x[2] - x[1]);
    let curvature = (d2 - d1) / (x[2] - x[0]);
    (curvature > 0.0).then(|| 0.5 * (x[0] + x[1]) - d1 / (2.0 * curvature))
}

/// The claim's tolerances, fixed in its file.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The predicted exponent (2/3).
    pub g: f64,
    /// |g - 2/3| at most this passes, whatever the interval.
    pub g_abs: f64,
    /// The knee factor k: (1 - beta)* is where T rises to k T*.
    pub knee: f64,
}

/// Phase 1: noise-free full-batch GD from the task's initial model to interpolation.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseOne {
    pub lr: f64,
    /// Phase 1 ends at train loss <= this.
    pub loss: f64,
    pub steps: usize,
}

/// The grid of one profile: learning rates geometric over `lr`, `betas` values of 1 - beta,
/// seeds 0..`seeds`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileGrid {
    pub lr: [f64; 2],
    pub lrs: usize,
    pub betas: usize,
    pub seeds: usize,
}

/// One task's scan: the task, phase 1, phase 2's settings and the grid per profile.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaskProtocol<C> {
    /// The task's own settings (nn's config type: unknown fields are refused).
    pub task: C,
    pub interpolation: PhaseOne,
    /// The label-noise level.
    pub eps: f64,
    /// A run's time: the first checkpoint with the regulariser at or below this.
    pub threshold: f64,
    pub record_every: usize,
    /// The step budget of a run; a point's budget is at most `cap` x the best time so far at
    /// its learning rate.
    pub budget: usize,
    pub cap: f64,
    /// The range of 1 - beta (geometric, `betas` values per profile).
    pub one_minus_beta: [f64; 2],
    pub smoke: ProfileGrid,
    pub quick: ProfileGrid,
    pub full: ProfileGrid,
}

/// The claim's protocol: a scan per task (at least one).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub matrix_sensing: Option<TaskProtocol<MatrixSensingConfig>>,
    pub teacher_student: Option<TaskProtocol<TeacherStudentConfig>>,
    pub diabetes: Option<TaskProtocol<DiabetesConfig>>,
}

impl<C> TaskProtocol<C> {
    /// Phase 1 and the scan's grid under `profile`.
    pub fn plan(&self, profile: Profile) -> (Interpolation, MomentumGrid) {
        let g = profile.choose(&self.smoke, &self.quick, &self.full);
        let phase1 = Interpolation::gd(self.interpolation.lr, self.interpolation.loss, self.interpolation.steps);
        let grid = MomentumGrid {
            lrs: profile::geometric(g.lr, g.lrs),
            one_minus_beta: profile::geometric(self.one_minus_beta, g.betas),
            seeds: (0..g.seeds as u64).collect(),
            eps: self.eps,
            threshold: self.threshold,
            budget: self.budget,
            record_every: self.record_every,
            cap: self.cap,
        };
        (phase1, grid)
    }
}

/// What C9 measured on one task, and its verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskResult {
    pub task: String,
    pub scan: Scan,
    pub optima: Vec<Optimum>,
    /// log(1 - beta)* against log eta (slope g, C = exp(intercept)).
    pub g: Option<LogLogFit>,
    /// The same with the parabola vertices, where there are at least three.
    pub g_min_fit: Option<LogLogFit>,
    /// log T* against log eta (slope -p).
    pub time: Option<LogLogFit>,
    /// g over three consecutive learning rates: (geometric middle eta, g).
    pub local_g: Vec<(f64, f64)>,
    /// g ± its interval half-width against [2/3 - g_abs, 2/3 + g_abs].
    pub check: Check,
    /// Whether g's 95 % interval contains 2/3.
    pub interval_contains: bool,
    pub verdict: Verdict,
}

impl TaskResult {
    /// Fits the optima of `scan` and judges g by `tol`. See the [module docs](self).
    pub fn new(scan: Scan, tol: &Tolerance) -> Self {
        let optima: Vec<Optimum> = (0..scan.grid.lrs.len()).filter_map(|i| optimum(scan.at_lr(i), tol.knee)).collect();
        let pairs = |f: fn(&Optimum) -> Option<f64>| -> Vec<(f64, f64)> {
            optima.iter().filter_map(|o| f(o).map(|v| (o.lr, v))).collect()
        };
        let knees = pairs(|o| o.knee);
        let local_g =
            knees.windows(3).filter_map(|w| Some(((w[0].0 * w[2].0).sqrt(), log_log_fit(w)?.slope))).collect();
        let g = log_log_fit(&knees).filter(|f| f.n >= 3);
        let (check, interval_contains, verdict) = judge(g.as_ref(), tol);
        TaskResult {
            task: scan.task.clone(),
            g,
            g_min_fit: log_log_fit(&pairs(|o| o.min_fit)).filter(|f| f.n >= 3),
            time: log_log_fit(&pairs(|o| Some(o.t_min))),
            local_g,
            check,
            interval_contains,
            verdict,
            optima,
            scan,
        }
    }

    /// "teacher_student: g = 0.750 [0.634, 0.866] ∋ 2/3, margin +0.6, C = 0.43; T* ∝ η^-0.615".
    pub fn describe(&self, target: f64) -> String {
        let Some(fit) = &self.g else {
            return format!(
                "{}: fewer than three learning rates have a knee ({} optima)",
                self.task,
                self.optima.len()
            );
        };
        let interval = fit.slope_ci.map_or("-".into(), |[lo, hi]| format!("[{lo:.3}, {hi:.3}]"));
        let contains = if self.interval_contains { " ∋ 2/3" } else { "" };
        let margin = self.check.margin.map_or(String::new(), |m| format!(", margin {m:+.1}"));
        let local = self.local_g.iter().map(|(_, g)| *g);
        let (lo, hi) = local.clone().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), g| (a.min(g), b.max(g)));
        let local = match self.local_g.len() {
            0 | 1 => String::new(),
            _ => format!(", local g {lo:.2}–{hi:.2}"),
        };
        format!(
            "{}: {} g = {:.3} {interval}{contains} (predicted {target:.3}){margin}, C = {:.3}; T* ∝ η^{:.3}{local}",
            self.task,
            self.verdict.name(),
            fit.slope,
            fit.intercept.exp(),
            self.time.map_or(f64::NAN, |t| t.slope),
        )
    }
}

/// The verdict on a fitted g (None: fewer than three knees): g ± its interval half-width against
/// [2/3 - g_abs, 2/3 + g_abs] (whose verdict is the task's, see the [module docs](self)) and
/// whether the interval contains 2/3.
pub fn judge(g: Option<&LogLogFit>, tol: &Tolerance) -> (Check, bool, Verdict) {
    let interval = g.and_then(|f| f.slope_ci);
    let half = interval.map_or(f64::INFINITY, |[lo, hi]| 0.5 * (hi - lo));
    let check = Check::band(interval.and(g.map(|f| f.slope)), half, tol.g - tol.g_abs, tol.g + tol.g_abs);
    let contains = interval.is_some_and(|[lo, hi]| lo <= tol.g && tol.g <= hi);
    (check, contains, check.verdict)
}

/// Everything C9 measured: one [`TaskResult`] per task, in the claim file's order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measured {
    pub knee_factor: f64,
    pub training: Training,
    pub tasks: Vec<TaskResult>,
}

/// Every task's protocol of claim `spec`, as (name, its typed protocol) in a fixed order; an
/// error when there is none.
fn protocol(spec: &ClaimSpec) -> Result<Protocol> {
    let p: Protocol = spec.typed_protocol()?;
    if p.matrix_sensing.is_none() && p.teacher_student.is_none() && p.diabetes.is_none() {
        return Err(Error::Registry(format!("claim {}: [protocol] names no task", spec.id)));
    }
    Ok(p)
}

/// Checks the claim file at load: typed tolerances and protocol, every task buildable.
pub fn validate(spec: &ClaimSpec) -> Result<()> {
    spec.typed::<Tolerance>()?;
    let p = protocol(spec)?;
    let invalid = |e: nn::Error| Error::Registry(format!("claim {}: {e}", spec.id));
    if let Some(t) = &p.matrix_sensing {
        MatrixSensing::new(t.task.clone()).map_err(invalid)?;
    }
    if let Some(t) = &p.teacher_student {
        TeacherStudent::new(t.task.clone()).map_err(invalid)?;
    }
    if let Some(t) = &p.diabetes {
        Diabetes::new(t.task.clone()).map_err(invalid)?;
    }
    Ok(())
}

/// The number of training runs of claim `spec` under `profile` (a progress bar's length).
pub fn runs(spec: &ClaimSpec, profile: Profile) -> Result<u64> {
    let p = protocol(spec)?;
    let count = |g: MomentumGrid| (g.lrs.len() * g.one_minus_beta.len() * g.seeds.len()) as u64;
    Ok(p.matrix_sensing.map_or(0, |t| count(t.plan(profile).1))
        + p.teacher_student.map_or(0, |t| count(t.plan(profile).1))
        + p.diabetes.map_or(0, |t| count(t.plan(profile).1)))
}

/// Scans one task under `profile` and judges it.
fn scan_task<T: Task + Sync, C>(
    task: &T,
    protocol: &TaskProtocol<C>,
    profile: Profile,
    training: Training,
    tol: &Tolerance,
    run_done: &(dyn Fn() + Sync),
) -> Result<TaskResult> {
    let (phase1, grid) = protocol.plan(profile);
    let scan = scan::run(task, training.backend, training.precision, &phase1, &grid, run_done)?;
    Ok(TaskResult::new(scan, tol))
}

/// Runs C9 under `profile` on `training`'s backend and decides its verdict.
pub fn evaluate(
    spec: &ClaimSpec,
    profile: Profile,
    training: Training,
    run_done: &(dyn Fn() + Sync),
) -> Result<ClaimResult> {
    let tol: Tolerance = spec.typed()?;
    let p = protocol(spec)?;
    // The tasks run concurrently (each scan's rounds are serial); each is deterministic alone.
    let (sensing, (student, diabetes)) = rayon::join(
        || {
            p.matrix_sensing.as_ref().map(|t| -> Result<TaskResult> {
                scan_task(&MatrixSensing::new(t.task.clone())?, t, profile, training, &tol, run_done)
            })
        },
        || {
            rayon::join(
                || {
                    p.teacher_student.as_ref().map(|t| -> Result<TaskResult> {
                        scan_task(&TeacherStudent::new(t.task.clone())?, t, profile, training, &tol, run_done)
                    })
                },
                || {
                    p.diabetes.as_ref().map(|t| -> Result<TaskResult> {
                        scan_task(&Diabetes::new(t.task.clone())?, t, profile, training, &tol, run_done)
                    })
                },
            )
        },
    );
    let tasks: Vec<TaskResult> = [sensing, student, diabetes].into_iter().flatten().collect::<Result<_>>()?;
    let verdict = Verdict::all(tasks.iter().map(|t| t.verdict));
    let summary = tasks.iter().map(|t| t.describe(tol.g)).collect::<Vec<_>>().join("; ");
    let predicted = json!({"g": tol.g, "time_exponent": -tol.g, "one_minus_beta": "C eta^(2/3), C not predicted"});
    let measured = Measured { knee_factor: tol.knee, training, tasks };
    let value = measured_json(&measured)?;
    Ok(ClaimResult::new(spec, predicted, value, verdict, summary))
}
