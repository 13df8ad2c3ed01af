//! Hyperparameter tuning on the exact theory: for a method family and a batch
//! size, the parameters that minimise the asymptotic rate (objective `rate`) or the iterations to
//! a target T(eps) from the exact curve (objective `target`). A divergent point is never returned.
//!
//! Search: nested one-dimensional Brent minimisations (argmin's `BrentOpt`) over a box in
//! log-coordinates. The outer objective is the exact inner minimum (a profile), so ridges of the
//! rate surface, which stall coordinate descent, do not stop it. The boxes contain the whole
//! deterministic stability region: lr up to 2/L (SGD), 2(1+b)/L (HB), 2(1+b)/((1+2b)L) (NAG).

use crate::dynamics::{GaussianDynamics, Hitting};
use crate::error::Result;
use crate::finite_sum::{FiniteSum, Sampling, isotropic_start};
use crate::invalid;
use crate::method::{Family, Method};
use crate::rate::{Rate, rate, rate_near};
use crate::spectrum::Spectrum;
use argmin::core::{CostFunction, Executor};
use argmin::solver::brent::BrentOpt;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};

/// What "best" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Minimise the asymptotic rate rho.
    Rate,
    /// Minimise T(eps) from the exact E\[loss\] curve (initial error N(0, I/d)).
    Target,
}

/// The target and the step budget used for T(eps).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Relative loss reduction eps: T(eps) is the first t with E\[loss_t\] <= eps E\[loss_0\].
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
    /// The tuned hyperparameters.
    pub method: Method,
    /// The asymptotic rate at them.
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

    /// The axes restricted to `radius` around `centre`, each with tolerance at least `tol` (for
    /// the local target search).
    fn around(&self, centre: &[f64], radius: f64, tol: f64) -> Vec<Axis> {
        let near = |(axis, &c): (&Axis, &f64)| Axis {
            lo: axis.lo.max(c - radius),
            hi: axis.hi.min(c + radius),
            tol: axis.tol.max(tol),
        };
        self.axes.iter().zip(centre).map(near).collect()
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

/// Minimises `f` over the box `axes` by nested Brent searches; returns the best point seen and
/// its value.
fn nested_brent(axes: &[Axis], f: &dyn Fn(&[f64]) -> f64) -> (Vec<f64>, f64, usize) {
    let best = RefCell::new((Vec::new(), f64::INFINITY));
    let evaluations = Cell::new(0usize);
    let point = RefCell::new(vec![0.0; axes.len()]);
    fn level(
        k: usize,
        axes: &[Axis],
        f: &dyn Fn(&[f64]) -> f64,
        point: &RefCell<Vec<f64>>,
        best: &RefCell<(Vec<f64>, f64)>,
        evaluations: &Cell<usize>,
    ) -> f64 {
        if k == axes.len() {
            let x = point.borrow().clone();
            let value = f(&x);
            evaluations.set(evaluations.get() + 1);
            let mut b = best.borrow_mut();
            if value < b.1 {
                *b = (x, value);
            }
            return value;
        }
        let Axis { lo, hi, tol } = axes[k];
        let profile = |x: f64| {
            point.borrow_mut()[k] = x;
            level(k + 1, axes, f, point, best, evaluations)
        };
        if hi - lo <= tol {
            return profile(0.5 * (lo + hi));
        }
        let solver = BrentOpt::new(lo, hi).set_tolerance(1e-10, tol);
        let result = Executor::new(Profile(&profile), solver).configure(|s| s.max_iters(200)).run();
        result.map(|r| r.state.best_cost).unwrap_or(f64::INFINITY)
    }
    level(0, axes, f, &point, &best, &evaluations);
    let (x, value) = best.into_inner();
    (x, value, evaluations.get())
}

/// Tunes `family` at batch size `batch` on `spectrum` for `objective` (T(eps) per `target`).
pub fn tune(spectrum: &Spectrum, family: Family, batch: f64, objective: Objective, target: Target) -> Result<Tuned> {
    Ok(tune_warm(spectrum, family, batch, objective, target, None)?.1)
}

/// Tunes `family` at every batch of `batches` (strictly increasing), each batch warm-started
/// from its neighbour's optimum: the previous batch's optimal parameters are a candidate at the
/// next batch beside that batch's own rate optimum, and the search keeps the best point it sees.
///
/// For fixed parameters E\[loss_t\] never grows with B (docs/theory.md §5, monotonicity), so
/// `T(B_k; θ*_{k-1}) <= T(B_{k-1}; θ*_{k-1})`, and with the candidate in the search the tuned
/// T(B) (and, under `Rate`, the tuned rate) is non-increasing along the grid by construction.
/// `done` is called after each batch.
pub fn tune_along(
    spectrum: &Spectrum,
    family: Family,
    batches: &[f64],
    objective: Objective,
    target: Target,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<Tuned>> {
    warm_chain(batches, done, |batch, previous| tune_warm(spectrum, family, batch, objective, target, previous))
}

/// Runs `step(batch, previous optimum)` along `batches` in order, each step seeing the search
/// coordinates of the one before; `done` ticks after each step.
fn warm_chain<B: Copy, T>(
    batches: &[B],
    done: &(dyn Fn() + Sync),
    mut step: impl FnMut(B, Option<&[f64]>) -> Result<(Vec<f64>, T)>,
) -> Result<Vec<T>> {
    let mut previous: Option<Vec<f64>> = None;
    let mut out = Vec::with_capacity(batches.len());
    for &batch in batches {
        let (x, tuned) = step(batch, previous.as_deref())?;
        done();
        previous = Some(x);
        out.push(tuned);
    }
    Ok(out)
}

/// One batch of [`tune_along`]: the rate optimum at `batch`, the `previous` batch's optimum as a
/// second candidate, then (objective `Target`) the local T(eps) search around the better one.
/// Returns the optimum's search coordinates with the tuned method.
fn tune_warm(
    spectrum: &Spectrum,
    family: Family,
    batch: f64,
    objective: Objective,
    target: Target,
    previous: Option<&[f64]>,
) -> Result<(Vec<f64>, Tuned)> {
    let (space, x, mut evaluations) = rate_optimum(spectrum, family, batch)?;
    let starts: Vec<&[f64]> = std::iter::once(x.as_slice()).chain(previous).collect();
    let best = match objective {
        Objective::Rate => {
            let rho = |x: &[f64]| rate(spectrum, &(space.build)(x), batch).rho;
            let best = starts.iter().copied().min_by(|a, b| rho(a).total_cmp(&rho(b))).expect("one start at least");
            best.to_vec()
        }
        Objective::Target => {
            let steps_to = |m: &Method, cap: usize| target_value(spectrum, m, batch, target.eps, cap);
            let (best, n) = refine_for_target(&space, &starts, target.max_steps, &steps_to);
            evaluations += n;
            best
        }
    };
    let method = (space.build)(&best);
    Ok((best, Tuned { method, rate: rate(spectrum, &method, batch), evaluations }))
}

/// The rate-optimal point of `family` at `batch` on `spectrum`, in search coordinates.
fn rate_optimum(spectrum: &Spectrum, family: Family, batch: f64) -> Result<(SearchSpace, Vec<f64>, usize)> {
    let space = SearchSpace::new(family, spectrum)?;
    // Consecutive evaluations of the nested search are close: start each root search at the
    // previous rate.
    let last = Cell::new(f64::NAN);
    let rate_at = |x: &[f64]| {
        let rho = rate_near(spectrum, &(space.build)(x), batch, last.get()).rho;
        last.set(rho);
        rho
    };
    let (x, best_rate, evaluations) = nested_brent(&space.axes, &rate_at);
    if best_rate.is_nan() || best_rate >= 1.0 {
        return Err(invalid!("no convergent {family} parameters found at batch {batch} (best rate {best_rate})"));
    }
    Ok((space, x, evaluations))
}

/// Half-width, in log-coordinates, of the box the T(eps) search explores around its start.
const TARGET_RADIUS: f64 = 1.5;
/// Tolerance of the T(eps) search on every axis: T is an integer count, and a relative change of
/// 1e-3 in a parameter moves it by well under one part in a hundred.
const TARGET_TOL: f64 = 1e-3;

/// Coordinate sweeps of the T(eps) search over three axes (ASGD): each sweep is one Brent
/// minimisation per axis with the others held. The search starts at the rate optimum, where
/// T(eps)'s valley is nearby, so a few sweeps replace the nested search, whose cost is the
/// product of the axes' evaluations (thousands for three axes).
const TARGET_SWEEPS: usize = 3;

/// Minimises T(eps) near the best of `starts` (nested Brent for up to two axes, cyclic
/// coordinate sweeps for three): `steps_to(method, cap)` is T(eps) with the curve stopped at `cap`
/// steps (and extrapolated beyond), and the cap is always the best T found so far, so a poor
/// candidate costs no more than the best one. Returns the best point seen (never worse than any
/// start), with the evaluations spent.
fn refine_for_target(
    space: &SearchSpace,
    starts: &[&[f64]],
    max_steps: usize,
    steps_to: &dyn Fn(&Method, usize) -> f64,
) -> (Vec<f64>, usize) {
    let best = Cell::new(max_steps as f64);
    let evaluations = Cell::new(0usize);
    let t_at = |x: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        let v = steps_to(&(space.build)(x), best.get().ceil() as usize);
        best.set(best.get().min(v));
        v
    };
    let (mut point, mut value) = (starts[0].to_vec(), f64::INFINITY);
    for x in starts {
        let v = t_at(x);
        if v < value {
            (point, value) = (x.to_vec(), v);
        }
    }
    let local = space.around(&point, TARGET_RADIUS, TARGET_TOL);
    if local.len() <= 2 {
        // One or two axes: the nested search (about 15 x 15 evaluations) also follows the
        // momentum-step ridge of HB and NAG, where coordinate sweeps stop early (seen: T 234
        // against a grid's 222 on a Kaczmarz system).
        let (xt, vt, _) = nested_brent(&local, &t_at);
        return (if vt < value { xt } else { point }, evaluations.get());
    }
    for _ in 0..TARGET_SWEEPS {
        let before = value;
        for (k, &Axis { lo, hi, tol }) in local.iter().enumerate() {
            let base = point.clone();
            let along = |v: f64| {
                let mut p = base.clone();
                p[k] = v;
                t_at(&p)
            };
            let solver = BrentOpt::new(lo, hi).set_tolerance(1e-10, tol);
            let found = Executor::new(Profile(&along), solver).configure(|s| s.max_iters(100)).run();
            if let Some((v, cost)) = found.ok().and_then(|r| r.state.best_param.map(|v| (v, r.state.best_cost)))
                && cost < value
            {
                point[k] = v;
                value = cost;
            }
        }
        if value >= before {
            break;
        }
    }
    (point, evaluations.get())
}

/// T(eps) of `method`, capped at `cap` steps: beyond the cap the remaining loss ratio is
/// extrapolated with the asymptotic rate, so the objective keeps a slope; divergence maps to a
/// huge value that still grows with rho.
fn target_value(spectrum: &Spectrum, method: &Method, batch: f64, eps: f64, cap: usize) -> f64 {
    let r = rate(spectrum, method, batch);
    if r.diverged() {
        return 1e30 * r.rho;
    }
    let (dynamics, start) = GaussianDynamics::isotropic(spectrum, method, batch);
    match dynamics.iterations_to_target(start, eps, cap) {
        Hitting::Reached(t) => t as f64,
        Hitting::NotReached { excess } => cap as f64 + excess.ln() * r.efold().unwrap_or(f64::INFINITY),
        Hitting::Diverged(_) => 1e30 * r.rho,
    }
}

/// A method tuned on a finite sum, with its exact T(eps).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FiniteTuned {
    /// The tuned hyperparameters.
    pub method: Method,
    /// T(eps) from the exact finite-sum recursion; None if not reached within the budget.
    pub iterations: Option<usize>,
    /// T(eps) evaluations spent (the Gaussian-model start not counted).
    pub evaluations: usize,
}

/// Tunes `family` at `batch` for T(eps) of the exact finite-sum recursion (docs/theory.md §6) from
/// the isotropic start. The search starts at the rate optimum of the Gaussian model with the
/// same H (O(d) per evaluation; its noise tr(H) H + 2 H^2 bounds the finite sum's, so it starts on
/// the cautious side) and then minimises the exact T(eps) around it.
pub fn tune_finite_sum(
    sum: &FiniteSum,
    family: Family,
    batch: usize,
    sampling: Sampling,
    target: Target,
) -> Result<FiniteTuned> {
    Ok(tune_finite_sum_along(sum, family, &[batch], sampling, target, &|| {})?.remove(0))
}

/// [`tune_finite_sum`] at every batch of `batches` (increasing), each warm-started from its
/// neighbour's optimum as in [`tune_along`]: the finite-sum E\[loss_t\] at fixed parameters does
/// not grow with B either (with or without replacement), so the tuned T(B) is non-increasing.
pub fn tune_finite_sum_along(
    sum: &FiniteSum,
    family: Family,
    batches: &[usize],
    sampling: Sampling,
    target: Target,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<FiniteTuned>> {
    for &batch in batches {
        sum.check_batch(batch, sampling)?;
    }
    let spectrum = sum.spectrum()?;
    let sigma0 = isotropic_start(sum.dim());
    warm_chain(batches, done, |batch, previous| {
        let (space, x, _) = rate_optimum(&spectrum, family, batch as f64)?;
        let hitting = |m: &Method, cap: usize| {
            let capped = Target { eps: target.eps, max_steps: cap };
            sum.iterations_to_target(m, batch, sampling, &sigma0, capped).expect("batch checked above")
        };
        let steps_to = |m: &Method, cap: usize| match hitting(m, cap) {
            Hitting::Reached(t) => t as f64,
            // Extrapolate with the rate observed so far: (excess eps)^(1/cap) per step.
            Hitting::NotReached { excess } => {
                let log_rho = (excess * target.eps).ln() / cap as f64;
                if log_rho < 0.0 { cap as f64 + excess.ln() / -log_rho } else { 1e30 * (1.0 + log_rho) }
            }
            Hitting::Diverged(t) => 1e30 * (1.0 + 1.0 / t as f64),
        };
        let starts: Vec<&[f64]> = std::iter::once(x.as_slice()).chain(previous).collect();
        let (best, evaluations) = refine_for_target(&space, &starts, target.max_steps, &steps_to);
        let method = (space.build)(&best);
        let iterations = hitting(&method, target.max_steps).reached();
        Ok((best, FiniteTuned { method, iterations, evaluations }))
    })
}
