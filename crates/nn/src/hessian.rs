//! The Hessian of a loss with respect to a module's parameters w, without double backward
//! (Burn has none): Hessian-vector products by central differences of gradients,
//!
//! ```text
//!     H v ≈ (∇L(w + h v) - ∇L(w - h v)) / (2h)        (error O(h^2 |∇^3 L| |v|^3) + rounding)
//! ```
//!
//! and tr(∇²L) by Hutchinson's estimator with m Rademacher probes v_j (entries ±1, independent):
//!
//! ```text
//!     tr H ≈ (1/m) sum_j v_j . H v_j,     Var(v . H v) = 2 (|H|_F^2 - sum_i H_ii^2)
//! ```
//!
//! Each probe costs two gradients. Run it in f64: the differences lose about log10(1/h) digits,
//! so h = 1e-4 leaves ~12 digits in f64 but almost none in f32 (use h ~ 1e-2 there, and expect
//! a rough estimate).

use crate::error::Result;
use crate::lanczos::rademacher;
use crate::params;
use crate::tasks::Rng;
use burn::module::Module;
use burn::tensor::Tensor;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Hutchinson's estimate of tr(∇²L). See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Trace {
    /// (1/m) sum_j v_j . H v_j.
    pub estimate: f64,
    /// The standard error of `estimate`: the probes' sample standard deviation / sqrt(m).
    pub std_error: f64,
    /// m.
    pub probes: usize,
}

impl Trace {
    /// The 95 % Student-t interval estimate ± t_{0.975, m-1} SE (None for m = 1).
    pub fn ci95(&self) -> Option<[f64; 2]> {
        let t = StudentsT::new(0.0, 1.0, (self.probes as f64) - 1.0).ok()?.inverse_cdf(0.975);
        let half = t * self.std_error;
        half.is_finite().then_some([self.estimate - half, self.estimate + half])
    }
}

/// H v at `model`'s parameters w, by the central difference of gradients with step `h`.
pub fn hvp<M, F>(model: &M, loss: &F, v: &[f64], h: f64) -> Result<Vec<f64>>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let w = params::values(model)?;
    hvp_at(model, loss, &w, v, h)
}

/// The operator v -> H v at `model`'s current parameters (one gradient pair per product), for
/// the eigenvalue methods of [`crate::lanczos`].
pub fn operator<'a, M, F>(model: &'a M, loss: &'a F, h: f64) -> Result<impl FnMut(&[f64]) -> Result<Vec<f64>> + 'a>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let w = params::values(model)?;
    Ok(move |v: &[f64]| hvp_at(model, loss, &w, v, h))
}

/// H v at parameters `w` (laid out as [`params::values`] of `model`).
fn hvp_at<M, F>(model: &M, loss: &F, w: &[f64], v: &[f64], h: f64) -> Result<Vec<f64>>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let shifted = |sign: f64| -> Result<Vec<f64>> {
        let point: Vec<f64> = w.iter().zip(v).map(|(wi, vi)| wi + sign * h * vi).collect();
        let at = params::with_values(model.clone(), &point)?;
        Ok(params::gradient(&at, loss)?.1)
    };
    let (plus, minus) = (shifted(1.0)?, shifted(-1.0)?);
    Ok(plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * h)).collect())
}

/// Hutchinson's estimate of tr(∇²L) at `model` with `probes` Rademacher probes from `rng` and
/// finite-difference step `h`. See the [module docs](self).
pub fn hutchinson<M, F>(model: &M, loss: F, probes: usize, h: f64, rng: &mut Rng) -> Result<Trace>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    check(probes, h)?;
    let w = params::values(model)?;
    let samples: Vec<f64> = (0..probes)
        .map(|_| {
            let v = rademacher(w.len(), rng);
            Ok(v.iter().zip(hvp_at(model, &loss, &w, &v, h)?).map(|(a, b)| a * b).sum::<f64>())
        })
        .collect::<Result<_>>()?;
    let m = probes as f64;
    let estimate = samples.iter().sum::<f64>() / m;
    let var = samples.iter().map(|s| (s - estimate).powi(2)).sum::<f64>() / (m - 1.0);
    Ok(Trace { estimate, std_error: (var / m).sqrt(), probes })
}

/// An error unless there are >= 2 probes (for a standard error) and h is finite and > 0.
pub fn check(probes: usize, h: f64) -> Result<()> {
    if probes >= 2 && h.is_finite() && h > 0.0 {
        return Ok(());
    }
    Err(crate::error::Error::Invalid(format!(
        "Hutchinson needs >= 2 probes and a finite step h > 0, got {probes} probes, h = {h}"
    )))
}

/// The full Hessian at `model` (p x p row-major), column j by the central difference of
/// gradients along the unit vector e_j, then symmetrised: (H + H^T)/2. Costs 2p gradients: for
/// checks on small models.
pub fn hessian<M, F>(model: &M, loss: F, h: f64) -> Result<Vec<f64>>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let w = params::values(model)?;
    let p = w.len();
    let mut columns = Vec::with_capacity(p);
    let mut e = vec![0.0; p];
    for j in 0..p {
        e[j] = 1.0;
        columns.push(hvp_at(model, &loss, &w, &e, h)?);
        e[j] = 0.0;
    }
    let mut hess = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            hess[i * p + j] = 0.5 * (columns[j][i] + columns[i][j]);
        }
    }
    Ok(hess)
}
