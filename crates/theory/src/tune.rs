//! Hyperparameter tuning on the exact theory (issue: "tuning"): for a method family and a batch
//! size, the parameters that minimise the asymptotic rate (objective `rate`) or the iterations to
//! a target T(eps) from the exact curve (objective `target`). A divergent point is never returned.
//!
//! Search: nested one-dimensional Brent minimisations (argmin's `BrentOpt`) over a box in
//! log-coordinates. The outer objective is the exact inner minimum (a profile), so ridges of the
//! rate surface, which stall coordinate descent, do not stop it. The boxes contain the whole
//! deterministic stability region: lr up to 2/L (SGD), 2(1+b)/L (HB), 2(1+b)/((1+2b)L) (NAG).

use crate::dynamics::{GaussianDynamics, Hitting, Moments};
use crate::error::Result;
use crate::invalid;
use crate::method::{Family, Method};
use crate::rate::{Rate, rate, rate_near};
use crate::spectrum::Spectrum;
use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentOpt;
use serde::Serialize;
use std::cell::{Cell, RefCell};

/// What "best" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Minimise the asymptotic rate rho.
    Rate,
    /// Minimise T(eps) from the exact E[loss] curve (initial error N(0, I/d)).
    Target,
}

/// The target and the step budget used for T(eps).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Target {
    /// Relative loss reduction eps: T(eps) is the first t with E[loss_t] <= eps E[loss_0].
    pub eps: f64,
    /// Step budget for the exact curve.
    pub max_steps: usize,
}

impl Default for Target {
    fn default() -> Self {
        Target { eps: 1e-4, max_steps: 1_000_000 }
    }
}

/// A tuned method.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tuned {
    pub method: Method,
    pub rate: Rate,
    /// Objective evaluations spent.
    pub evaluations: usize,
}

/// Maps search coordinates to a method.
type Builder = Box<dyn Fn(&[f64]) -> Method + Sync>;

/// One search coordinate: its interval and the Brent tolerance.
#[derive(Clone, Copy)]
struct Axis {
    lo: f64,
    hi: f64,
    tol: f64,
}

/// The search box of one family: coordinates (outermost first) and the map to a method.
struct SearchSpace {
    axes: Vec<Axis>,
    build: Builder,
}

/// ln(1e-8): the smallest 1 - momentum, learning-rate fraction and ASGD gap searched.
const LN_FLOOR: f64 = -18.420680743952367;

/// A log-coordinate from ln(1e-8) to 0.
const fn fraction(tol: f64) -> Axis {
    Axis { lo: LN_FLOOR, hi: 0.0, tol }
}

impl SearchSpace {
    fn new(family: Family, spectrum: &Spectrum) -> Result<Self> {
        let l = spectrum.lambda_max();
        let (axes, build): (Vec<Axis>, Builder) = match family {
            // x = [ln(lr L / 2)]
            Family::Sgd => (vec![fraction(1e-5)], Box::new(move |x| Method::Sgd { lr: 2.0 / l * x[0].exp() })),
            // x = [ln(1 - momentum), ln(lr / lr_max(momentum))]
            Family::Hb | Family::Nag => {
                let nesterov = family == Family::Nag;
                let build = move |x: &[f64]| {
                    let momentum = 1.0 - x[0].exp();
                    let lr_max = 2.0 * (1.0 + momentum) / l;
                    if nesterov {
                        Method::Nag { lr: lr_max / (1.0 + 2.0 * momentum) * x[1].exp(), momentum }
                    } else {
                        Method::Hb { lr: lr_max * x[1].exp(), momentum }
                    }
                };
                (vec![fraction(1e-4), fraction(1e-5)], Box::new(build))
            }
            // x = [ln(gap = 0.49 xi / long_step), ln(long_step), ln(lr L / 2)]
            Family::Asgd => {
                let top = (100.0 * spectrum.kappa()).ln().max(1.0);
                let build = move |x: &[f64]| {
                    let long_step = x[1].exp();
                    Method::Asgd { lr: 2.0 / l * x[2].exp(), long_step, xi: x[0].exp() * long_step / 0.49 }
                };
                (vec![fraction(1e-2), Axis { lo: 0.0, hi: top, tol: 1e-3 }, fraction(1e-4)], Box::new(build))
            }
            Family::Sp => {
                return Err(invalid!("tuning is available for sgd, hb, nag and asgd (sp uses the closed-form rule)"));
            }
        };
        Ok(SearchSpace { axes, build })
    }

    /// The same space restricted to `radius` around `centre` (for the local target search).
    fn around(mut self, centre: &[f64], radius: f64) -> Self {
        for (axis, &c) in self.axes.iter_mut().zip(centre) {
            axis.lo = axis.lo.max(c - radius);
            axis.hi = axis.hi.min(c + radius);
        }
        self
    }
}

/// argmin wrapper for a closure.
struct Profile<'a>(&'a dyn Fn(f64) -> f64);

impl CostFunction for Profile<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        Ok((self.0)(*x))
    }
}

/// Minimises `f` over the box by nested Brent searches; returns the best point seen and its value.
fn nested_brent(space: &SearchSpace, f: &dyn Fn(&[f64]) -> f64) -> (Vec<f64>, f64, usize) {
    let best = RefCell::new((Vec::new(), f64::INFINITY));
    let evaluations = Cell::new(0usize);
    let point = RefCell::new(vec![0.0; space.axes.len()]);
    fn level(
        k: usize,
        space: &SearchSpace,
        f: &dyn Fn(&[f64]) -> f64,
        point: &RefCell<Vec<f64>>,
        best: &RefCell<(Vec<f64>, f64)>,
        evaluations: &Cell<usize>,
    ) -> f64 {
        if k == space.axes.len() {
            let x = point.borrow().clone();
            let value = f(&x);
            evaluations.set(evaluations.get() + 1);
            let mut b = best.borrow_mut();
            if value < b.1 {
                *b = (x, value);
            }
            return value;
        }
        let Axis { lo, hi, tol } = space.axes[k];
        let profile = |x: f64| {
            point.borrow_mut()[k] = x;
            level(k + 1, space, f, point, best, evaluations)
        };
        if hi - lo <= tol {
            return profile(0.5 * (lo + hi));
        }
        let solver = BrentOpt::new(lo, hi).set_tolerance(1e-10, tol);
        let result = Executor::new(Profile(&profile), solver).configure(|s| s.max_iters(200)).run();
        result.map(|r| r.state.best_cost).unwrap_or(f64::INFINITY)
    }
    level(0, space, f, &point, &best, &evaluations);
    let (x, value) = best.into_inner();
    (x, value, evaluations.get())
}

/// Tunes `family` at batch size `batch` on `spectrum` for `objective` (T(eps) per `target`).
pub fn tune(spectrum: &Spectrum, family: Family, batch: f64, objective: Objective, target: Target) -> Result<Tuned> {
    let space = SearchSpace::new(family, spectrum)?;
    // Consecutive evaluations of the nested search are close: start each root search at the
    // previous rate.
    let last = Cell::new(f64::NAN);
    let rate_at = |x: &[f64]| {
        let rho = rate_near(spectrum, &(space.build)(x), batch, last.get()).rho;
        last.set(rho);
        rho
    };
    let (mut x, best_rate, mut evaluations) = nested_brent(&space, &rate_at);
    if best_rate.is_nan() || best_rate >= 1.0 {
        return Err(invalid!("no convergent {family} parameters found at batch {batch} (best rate {best_rate})"));
    }
    if objective == Objective::Target {
        let local = SearchSpace::new(family, spectrum)?.around(&x, 1.5);
        let best_t = Cell::new(target.max_steps as f64);
        let t_at = |x: &[f64]| {
            let v = target_value(spectrum, &(local.build)(x), batch, target.eps, best_t.get() as usize);
            best_t.set(best_t.get().min(v));
            v
        };
        let start = t_at(&x);
        let (xt, vt, n) = nested_brent(&local, &t_at);
        evaluations += n + 1;
        if vt < start {
            x = xt;
        }
    }
    let method = (space.build)(&x);
    Ok(Tuned { method, rate: rate(spectrum, &method, batch), evaluations })
}

/// T(eps) of `method`, capped at `cap` steps: beyond the cap the remaining loss ratio is
/// extrapolated with the asymptotic rate, so the objective keeps a slope; divergence maps to a
/// huge value that still grows with rho.
fn target_value(spectrum: &Spectrum, method: &Method, batch: f64, eps: f64, cap: usize) -> f64 {
    let r = rate(spectrum, method, batch);
    if r.diverged() {
        return 1e30 * r.rho;
    }
    let dynamics = GaussianDynamics::new(spectrum, method, batch);
    match dynamics.iterations_to_target(Moments::isotropic(spectrum.d()), eps, cap) {
        Hitting::Reached(t) => t as f64,
        Hitting::NotReached { excess } => cap as f64 + excess.ln() * r.efold().unwrap_or(f64::INFINITY),
        Hitting::Diverged(_) => 1e30 * r.rho,
    }
}
