//! Every curvature and noise estimate of a task's full train loss at one point w, and the
//! batch-size predictions of docs/theory.md §5 they give.
//!
//! ```text
//!     tr H         Hutchinson, Rademacher probes, 95 % Student-t interval      (crate::hessian)
//!     lambda_max   power iteration on H v, with its residual bound             (crate::lanczos)
//!     top-k, phi   Lanczos Ritz values; SLQ spectral density                  (crate::lanczos)
//!     B_simple     tr(Sigma)/|G|^2 from per-example gradients, bootstrap CI    (crate::noise)
//!     GN, mu_eff   Gauss–Newton spectrum with the residual's mass; mu_eff = L / (2 T_lin) for a
//!                  target loss, T_lin the linearised GD time to it                 (crate::noise)
//! ```
//!
//! Predictions (docs/theory.md §5, the quadratic theory with the network's estimated constants):
//!
//! ```text
//!     B_sgd = tr H / lambda_max,          B_hb = tr H / sqrt(lambda_max mu_eff) = sqrt(kappa_eff) B_sgd
//!     kappa_eff = lambda_max / mu_eff
//! ```
//!
//! with intervals from tr H's interval (lambda_max is known to its residual bound, far tighter),
//! and the same from the effective Gauss–Newton spectrum fed to `theory` ([`theory::Predictions`]).

use crate::error::{Error, Result};
use crate::hessian::{self, Trace};
use crate::lanczos::{self, Density, PowerIteration};
use crate::noise::{GaussNewton, Jacobian, NoiseScale};
use crate::params;
use crate::tasks::{Loaded, Stream, Task, rng};
use serde::Serialize;

/// How much work each estimate gets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Hutchinson probes (>= 2) and the finite-difference step of every Hessian-vector product.
    pub probes: usize,
    pub h: f64,
    /// Power iteration: at most this many products, stopping at residual <= tol |lambda|.
    pub power_iterations: usize,
    pub power_tol: f64,
    /// Lanczos steps for the top eigenvalues; SLQ probes and steps for the density.
    pub lanczos_steps: usize,
    pub slq_probes: usize,
    pub slq_steps: usize,
    /// Bootstrap resamples for B_simple's interval.
    pub resamples: usize,
    /// The seed of the probe stream (every random start vector).
    pub seed: u64,
}

impl Default for Settings {
    /// 32 probes, h = 1e-4 (f64), 100 power iterations to 1e-4, 30 Lanczos steps, SLQ 4 x 30,
    /// 400 resamples.
    fn default() -> Self {
        Settings {
            probes: 32,
            h: 1e-4,
            power_iterations: 100,
            power_tol: 1e-4,
            lanczos_steps: 30,
            slq_probes: 4,
            slq_steps: 30,
            resamples: 400,
            seed: 0,
        }
    }
}

impl Settings {
    /// An error naming the first setting outside its domain.
    pub fn validate(&self) -> Result<()> {
        hessian::check(self.probes, self.h)?;
        if self.power_iterations == 0 || self.lanczos_steps == 0 || self.slq_probes == 0 || self.slq_steps == 0 {
            return Err(Error::Invalid("power iterations, Lanczos steps, SLQ probes and steps must be >= 1".into()));
        }
        if self.power_tol.is_nan() || self.power_tol <= 0.0 || self.resamples < 20 {
            return Err(Error::Invalid(format!(
                "the power tolerance must be > 0 and the bootstrap needs >= 20 resamples, got {} and {}",
                self.power_tol, self.resamples
            )));
        }
        Ok(())
    }
}

/// The batch-size predictions of the quadratic theory from estimated constants. See the
/// [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Prediction {
    pub b_sgd: f64,
    pub b_sgd_ci: [f64; 2],
    pub b_hb: f64,
    pub b_hb_ci: [f64; 2],
    pub kappa_eff: f64,
}

/// All the estimates at one point. See the [module docs](self).
#[derive(Clone, Debug, Serialize)]
pub struct Curvature {
    pub params: usize,
    pub rows: usize,
    pub train_loss: f64,
    /// The target loss mu_eff is computed for.
    pub target: f64,
    pub trace: Trace,
    pub trace_ci95: Option<[f64; 2]>,
    pub power: PowerIteration,
    /// The largest Lanczos Ritz values, decreasing, with their residual bounds.
    pub top: Vec<(f64, f64)>,
    pub density: Density,
    pub noise: NoiseScale,
    pub gauss_newton: GaussNewtonSummary,
    /// From tr H, lambda_max and mu_eff (None without a mu_eff).
    pub hessian_prediction: Option<Prediction>,
    /// theory::Predictions of the effective Gauss–Newton spectrum (B_sgd, B_hb).
    pub theory_b_sgd: Option<f64>,
    pub theory_b_hb: Option<f64>,
}

/// What the Gauss–Newton analysis contributes (the full mode list is long).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GaussNewtonSummary {
    pub trace: f64,
    pub lambda_max: f64,
    /// T_lin: linearised full-batch GD steps at 1/L to the target; mu_eff = L / (2 T_lin).
    pub linear_time: Option<f64>,
    pub mu_eff: Option<f64>,
    /// The number of eigenvalues >= mu_eff.
    pub effective_modes: usize,
    /// The loss outside the Jacobian's range.
    pub unreachable: f64,
}

/// How many of the top Ritz values to report.
const TOP: usize = 10;

/// Every estimate of [`Curvature`] at `model` for the full train loss of `task`, with mu_eff
/// for the target loss `target`.
pub fn measure<T: Task>(
    task: &T,
    model: &T::Model,
    loaded: &Loaded,
    settings: &Settings,
    target: f64,
) -> Result<Curvature> {
    settings.validate()?;
    if !(target.is_finite() && target > 0.0) {
        return Err(Error::Invalid(format!("the target loss must be finite and > 0, got {target}")));
    }
    let mut probes = rng(settings.seed, Stream::Probes);
    let loss = |m: &T::Model| task.train_loss_tensor(m, loaded);
    let p = params::count(model);
    let trace = hessian::hutchinson(model, loss, settings.probes, settings.h, &mut probes)?;
    let power = lanczos::power_iteration(
        hessian::operator(model, &loss, settings.h)?,
        p,
        settings.power_tol,
        settings.power_iterations,
        &mut probes,
    )?;
    let start = lanczos::rademacher(p, &mut probes);
    let ritz = lanczos::lanczos(hessian::operator(model, &loss, settings.h)?, &start, settings.lanczos_steps)?.ritz();
    let top = ritz.values.iter().zip(&ritz.residuals).rev().take(TOP).map(|(&v, &r)| (v, r)).collect();
    let density = lanczos::slq(
        hessian::operator(model, &loss, settings.h)?,
        p,
        settings.slq_probes,
        settings.slq_steps,
        &mut probes,
    )?;
    let jacobian = Jacobian::new(task, model, loaded, None)?;
    let noise = NoiseScale::new(&jacobian, settings.resamples, &mut probes)?;
    let gn = GaussNewton::new(&jacobian);
    let mu_eff = gn.mu_eff(target);
    let effective = gn.effective(target);
    let theory = effective.and_then(|e| theory::Spectrum::new(e).ok()).map(|s| theory::Predictions::new(&s, 1.0));
    let ci = trace.ci95();
    let hessian_prediction = mu_eff.map(|mu| {
        let l = power.value;
        let sgd = |t: f64| theory::predict::critical_batch_sgd(t, l);
        let hb = |t: f64| theory::predict::critical_batch_hb(t, l, mu);
        let [lo, hi] = ci.unwrap_or([trace.estimate; 2]);
        Prediction {
            b_sgd: sgd(trace.estimate),
            b_sgd_ci: [sgd(lo), sgd(hi)],
            b_hb: hb(trace.estimate),
            b_hb_ci: [hb(lo), hb(hi)],
            kappa_eff: l / mu,
        }
    });
    Ok(Curvature {
        params: p,
        rows: jacobian.rows,
        train_loss: task.train_loss(model, loaded),
        target,
        trace,
        trace_ci95: ci,
        power,
        top,
        density,
        noise,
        gauss_newton: GaussNewtonSummary {
            trace: gn.trace(),
            lambda_max: gn.lambda_max(),
            linear_time: gn.linear_time(target),
            mu_eff,
            effective_modes: gn.modes.iter().filter(|m| mu_eff.is_some_and(|mu| m.0 >= mu)).count(),
            unreachable: gn.unreachable,
        },
        hessian_prediction,
        theory_b_sgd: theory.map(|t| t.b_sgd),
        theory_b_hb: theory.map(|t| t.b_hb),
    })
}

/// The estimates at one point of a full-batch gradient-descent path.
#[derive(Clone, Debug, Serialize)]
pub struct PathPoint {
    /// GD steps taken from the initial model.
    pub step: usize,
    pub curvature: Curvature,
}

/// [`measure`] along full-batch gradient descent with step 1/L, L the power-iteration
/// lambda_max at the initial model (theory's SGD template, the task's noise-free labels), from
/// the task's initial model, at steps 0, 1, 2, 4, 8, ... (powers of 2) until the train loss is at
/// or below `target` (that point included) or `max_steps`.
pub fn along_gd<T: Task>(
    task: &T,
    loaded: &Loaded,
    settings: &Settings,
    target: f64,
    max_steps: usize,
) -> Result<Vec<PathPoint>> {
    let mut method = None;
    let full = task.sample_batch(usize::MAX, &mut rng(0, Stream::Batches));
    let mut model = task.init(&loaded.device);
    let mut optimizer = crate::optim::TemplateOptimizer::new();
    let mut out = Vec::new();
    let (mut step, mut next) = (0, 0);
    loop {
        if step == next {
            let curvature = measure(task, &model, loaded, settings, target)?;
            if method.is_none() {
                method = Some(theory::Method::Sgd { lr: 1.0 / curvature.power.value }.validated()?);
            }
            let done = curvature.train_loss.is_nan() || curvature.train_loss <= target || step >= max_steps;
            out.push(PathPoint { step, curvature });
            if done {
                return Ok(out);
            }
            next = if next == 0 { 1 } else { 2 * next };
        }
        let method = method.as_ref().expect("set at step 0");
        (model, _) = crate::train::step(task, loaded, &mut optimizer, method, model, &full, &full.labels)?;
        step += 1;
        if step >= max_steps {
            next = step;
        }
    }
}
