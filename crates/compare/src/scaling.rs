//! C9: the momentum scaling of label-noise heavy ball (docs/theory.md §1.3, §8; Cowsik, Can,
//! Glorioso): with 1 - beta = C eta^g, training is fastest at g = 2/3.
//!
//! The measurement is [`nn::scan`]: from one interpolating point of a matrix-sensing task,
//! label-noise HB for every (eta, 1 - beta) of a grid and several seeds, timed to the
//! regulariser |U|_F^2 <= threshold (the approach along the manifold). Per learning rate:
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
//! T(1 - beta) has a plateau there, so its minimum sits anywhere on the plateau (often the grid's
//! smallest 1 - beta), set by noise. The fastest training with the least momentum is the edge
//! of that plateau, where the damping time 1/(1 - beta) meets the drift time — the two
//! timescales of §1.3. Both estimates are reported.
//!
//! Fits (least squares in log-log with 95 % intervals, [`log_log_fit`]):
//! log(1 - beta)* = log C + g log eta, and log T* = a - p log eta (predicted p = 2/3); also g
//! over every three consecutive learning rates (g per eta range, docs/theory.md §8's caution).
//!
//! Verdict: pass if g's interval contains `g` (2/3) or |g - 2/3| <= `g_abs`; inconclusive with
//! fewer than three knees.

use crate::claims::ClaimResult;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::registry::ClaimSpec;
use crate::verdict::{LogLogFit, Verdict, log_log_fit};
use nn::scan::{self, Grid, Point, Scan};
use nn::tasks::{MatrixSensing, MatrixSensingConfig, Sensing};
use nn::{Backend, Interpolation, Precision};
use serde::Serialize;
use serde_json::json;

/// The optimum momentum at one learning rate. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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
    /// Grid points with a time, and censored ones.
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

/// Everything C9 measured.
#[derive(Clone, Debug, Serialize)]
pub struct Measured {
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
}

impl Measured {
    /// Fits the optima of `scan` at knee factor `knee`.
    pub fn new(scan: Scan, knee: f64) -> Self {
        let optima: Vec<Optimum> = (0..scan.grid.lrs.len()).filter_map(|i| optimum(scan.at_lr(i), knee)).collect();
        let pairs = |f: fn(&Optimum) -> Option<f64>| -> Vec<(f64, f64)> {
            optima.iter().filter_map(|o| f(o).map(|v| (o.lr, v))).collect()
        };
        let knees = pairs(|o| o.knee);
        let local_g =
            knees.windows(3).filter_map(|w| Some(((w[0].0 * w[2].0).sqrt(), log_log_fit(w)?.slope))).collect();
        let min_fits = pairs(|o| o.min_fit);
        Measured {
            g: log_log_fit(&knees).filter(|f| f.n >= 3),
            g_min_fit: log_log_fit(&min_fits).filter(|f| f.n >= 3),
            time: log_log_fit(&pairs(|o| Some(o.t_min))),
            local_g,
            optima,
            scan,
        }
    }
}

/// The task, phase 1 and grid of claim `spec` under `profile` (numbers from its [protocol]; the
/// learning-rate grid, the number of 1 - beta values and of seeds under the profile's prefix).
pub fn protocol(spec: &ClaimSpec, profile: Profile) -> Result<(MatrixSensing, Interpolation, Grid)> {
    match spec.task.as_deref() {
        Some("matrix_sensing") => {}
        other => {
            return Err(Error::Registry(format!("claim {}: C9 runs on task 'matrix_sensing', not {other:?}", spec.id)));
        }
    }
    let p = |name: &str| spec.protocol(name);
    let prefixed = |name: &str| spec.protocol(&format!("{}_{name}", profile.name()));
    let count = |name: &str| spec.protocol_count(name);
    let prefixed_count = |name: &str| spec.protocol_count(&format!("{}_{name}", profile.name()));
    let task = MatrixSensing::new(MatrixSensingConfig {
        d: count("d")?,
        rank: count("rank")?,
        model_rank: count("model_rank")?,
        measurements: count("measurements")?,
        sensing: Sensing::Gaussian,
        init_scale: p("init_scale")?,
        seed: p("task_seed")? as u64,
    })?;
    let phase1 = Interpolation::gd(p("interpolation_lr")?, p("interpolation_loss")?, count("interpolation_steps")?);
    let geometric = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
        (0..n).map(|k| if n == 1 { lo } else { lo * (hi / lo).powf(k as f64 / (n - 1) as f64) }).collect()
    };
    let grid = Grid {
        lrs: geometric(prefixed("lr_min")?, prefixed("lr_max")?, prefixed_count("lrs")?),
        one_minus_beta: geometric(p("one_minus_beta_min")?, p("one_minus_beta_max")?, prefixed_count("betas")?),
        seeds: (0..prefixed_count("seeds")? as u64).collect(),
        eps: p("eps")?,
        threshold: p("threshold")?,
        budget: count("budget")?,
        record_every: count("record_every")?,
        cap: p("cap")?,
    };
    Ok((task, phase1, grid))
}

/// The number of training runs of claim `spec` under `profile` (a progress bar's length).
pub fn runs(spec: &ClaimSpec, profile: Profile) -> Result<u64> {
    let (_, _, g) = protocol(spec, profile)?;
    Ok((g.lrs.len() * g.one_minus_beta.len() * g.seeds.len()) as u64)
}

/// Where the networks of a claim train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Training {
    pub backend: Backend,
    pub precision: Precision,
}

/// Runs C9 under `profile` on `training`'s backend and decides its verdict.
pub fn evaluate(
    spec: &ClaimSpec,
    profile: Profile,
    training: Training,
    run_done: &(dyn Fn() + Sync),
) -> Result<ClaimResult> {
    let (task, phase1, grid) = protocol(spec, profile)?;
    let scan = scan::run(&task, training.backend, training.precision, &phase1, &grid, run_done)?;
    let knee = spec.tolerance("knee")?;
    let measured = Measured::new(scan, knee);
    let (target, slack) = (spec.tolerance("g")?, spec.tolerance("g_abs")?);
    let verdict = match &measured.g {
        Some(fit) => Verdict::from_bool(
            fit.slope_ci.is_some_and(|[lo, hi]| lo <= target && target <= hi) || (fit.slope - target).abs() <= slack,
        ),
        None => Verdict::Inconclusive,
    };
    let ci = |f: &LogLogFit| f.slope_ci.map_or("-".into(), |[lo, hi]| format!("[{lo:.3}, {hi:.3}]"));
    let summary = match &measured.g {
        Some(fit) => format!(
            "g = {:.3} {} (predicted {target:.3}), C = {:.3}; T* ∝ η^{:.3}; minimum on the plateau's edge at {}/{} η",
            fit.slope,
            ci(fit),
            fit.intercept.exp(),
            measured.time.map_or(f64::NAN, |t| t.slope),
            measured.optima.iter().filter(|o| o.min_at_edge).count(),
            measured.optima.len()
        ),
        None => format!("fewer than three learning rates have a knee ({} optima)", measured.optima.len()),
    };
    // The scan's points with their mean log time and its standard error (the figure's bars).
    let points: Vec<_> = measured
        .scan
        .points
        .iter()
        .map(|p| json!({"lr": p.lr, "one_minus_beta": p.one_minus_beta, "log_time": p.log_time(), "log_time_se": p.log_time_se(), "budget": p.budget, "times": p.times, "diverged": p.diverged}))
        .collect();
    let predicted = json!({"g": target, "time_exponent": -target, "one_minus_beta": "C eta^(2/3), C not predicted"});
    let mut value = serde_json::to_value(&measured).map_err(|e| Error::Registry(e.to_string()))?;
    value["scan"]["points"] = json!(points);
    value["knee_factor"] = json!(knee);
    value["training"] = json!(training);
    Ok(ClaimResult::new(spec, predicted, value, verdict, summary))
}
