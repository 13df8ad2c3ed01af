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

/// The search box of one family at one batch size: coordinates, their bounds and tolerances
/// (outermost first) and the map from coordinates to a method.
struct SearchSpace {
    bounds: Vec<(f64, f64)>,
    tolerances: Vec<f64>,
    build: Box<dyn Fn(&[f64]) -> Method + Sync>,
}

/// ln of the smallest 1 - momentum, learning-rate fraction and gap searched.
const LN_FLOOR: f64 = -18.420680743952367; // ln(1e-8)

impl SearchSpace {
    fn new(family: Family, spectrum: &Spectrum) -> Result<Self> {
        let l = spectrum.lambda_max();
        let momentum = |u: f64| 1.0 - u.exp();
        let space = |bounds: Vec<(f64, f64)>, tolerances: Vec<f64>, build: Box<dyn Fn(&[f64]) -> Method + Sync>| {
            SearchSpace { bounds, tolerances, build }
        };
        Ok(match family {
            // x = [ln(lr L / 2)]
            Family::Sgd => space(vec![(LN_FLOOR, 0.0)], vec![1e-5], Box::new(move |x| Method::Sgd { lr: 2.0 / l * x[0].exp() })),
            // x = [ln(1 - momentum), ln(lr / lr_max(momentum))]
            Family::Hb => space(
                vec![(LN_FLOOR, 0.0), (LN_FLOOR, 0.0)],
                vec![1e-4, 1e-5],
                Box::new(move |x| {
                    let b = momentum(x[0]);
                    Method::Hb { lr: 2.0 * (1.0 + b) / l * x[1].exp(), momentum: b }
                }),
            ),
            Family::Nag => space(
                vec![(LN_FLOOR, 0.0), (LN_FLOOR, 0.0)],
                vec![1e-4, 1e-5],
                Box::new(move |x| {
                    let b = momentum(x[0]);
                    Method::Nag { lr: 2.0 * (1.0 + b) / ((1.0 + 2.0 * b) * l) * x[1].exp(), momentum: b }
                }),
            ),
            // x = [ln(gap = 0.49 xi / long_step), ln(long_step), ln(lr L / 2)]
            Family::Asgd => {
                let top = (100.0 * spectrum.kappa()).ln().max(1.0);
                space(
                    vec![(LN_FLOOR, 0.0), (0.0, top), (LN_FLOOR, 0.0)],
                    vec![1e-2, 1e-3, 1e-4],
                    Box::new(move |x| {
                        let long_step = x[1].exp();
                        Method::Asgd { lr: 2.0 / l * x[2].exp(), long_step, xi: x[0].exp() * long_step / 0.49 }
                    }),
                )
            }
            Family::Sp => return Err(invalid!("tuning is available for sgd, hb, nag and asgd (sp uses the closed-form rule)")),
        })
    }

    /// The same space restricted to `radius` around `centre` (for the local target search).
    fn around(mut self, centre: &[f64], radius: f64) -> Self {
        for (b, &c) in self.bounds.iter_mut().zip(centre) {
            *b = ((c - radius).max(b.0), (c + radius).min(b.1));
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
    let point = RefCell::new(vec![0.0; space.bounds.len()]);
    fn level(
        k: usize,
        space: &SearchSpace,
        f: &dyn Fn(&[f64]) -> f64,
        point: &RefCell<Vec<f64>>,
        best: &RefCell<(Vec<f64>, f64)>,
        evaluations: &Cell<usize>,
    ) -> f64 {
        if k == space.bounds.len() {
            let x = point.borrow().clone();
            let value = f(&x);
            evaluations.set(evaluations.get() + 1);
            let mut b = best.borrow_mut();
            if value < b.1 {
                *b = (x, value);
            }
            return value;
        }
        let (lo, hi) = space.bounds[k];
        let profile = |x: f64| {
            point.borrow_mut()[k] = x;
            level(k + 1, space, f, point, best, evaluations)
        };
        if hi - lo <= space.tolerances[k] {
            return profile(0.5 * (lo + hi));
        }
        let solver = BrentOpt::new(lo, hi).set_tolerance(1e-10, space.tolerances[k]);
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
    if !(best_rate < 1.0) {
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
