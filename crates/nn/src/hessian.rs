//! The Hessian of a loss with respect to a module's parameters w, without double backward
//! (Burn has none): Hessian-vector products by central differences of gradients,
//!
//! ```text
//!     H v ≈ (∇L(w + h v) - ∇L(w - h v)) / (2h)        (error O(h^2 |∇^3 L| |v|^3) + rounding)
//! ```
//!
//! and the implicit regulariser of label-noise SGD (docs/theory.md §8), tr(∇²L), by Hutchinson's
//! estimator with m Rademacher probes v_j (entries ±1, independent):
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
    /// The standard error of `estimate`: the probes' sample standard deviation / sqrt(m)
    /// (NaN for m = 1).
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
    let w = params::values(model)?;
    let layout = params::Layout { replicas: 1, lens: vec![w.len()] };
    Ok(traces(model, &loss, &layout, &w, probes, h, std::slice::from_mut(rng))?.remove(0))
}

/// Hutchinson's estimate of every replica's tr(∇²L_r) for a replica batch `model` whose `loss`
/// is the sum of the replicas' losses: replica r's probes come from `rngs[r]` (the same draws as
/// [`hutchinson`] of that replica alone), and all replicas share each gradient pair. An error
/// unless there is one generator per replica.
pub fn hutchinson_replicas<M, F>(model: &M, loss: F, probes: usize, h: f64, rngs: &mut [Rng]) -> Result<Vec<Trace>>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let layout = params::layout(model)?;
    if rngs.len() != layout.replicas {
        return Err(crate::error::Error::Invalid(format!(
            "{} probe generators for {} replicas",
            rngs.len(),
            layout.replicas
        )));
    }
    traces(model, &loss, &layout, &params::values(model)?, probes, h, rngs)
}

/// The estimates of [`hutchinson_replicas`] at w (laid out as `layout`).
fn traces<M, F>(
    model: &M,
    loss: &F,
    layout: &params::Layout,
    w: &[f64],
    probes: usize,
    h: f64,
    rngs: &mut [Rng],
) -> Result<Vec<Trace>>
where
    M: Module,
    F: Fn(&M) -> Tensor<1>,
{
    let per_replica = layout.lens.iter().sum::<usize>();
    let mut samples = vec![Vec::with_capacity(probes); layout.replicas];
    for _ in 0..probes {
        let vs: Vec<Vec<f64>> = rngs.iter_mut().map(|rng| rademacher(per_replica, rng)).collect();
        let hv = layout.split(&hvp_at(model, loss, w, &layout.join(&vs), h)?);
        for ((s, v), hv) in samples.iter_mut().zip(&vs).zip(&hv) {
            s.push(v.iter().zip(hv).map(|(a, b)| a * b).sum::<f64>());
        }
    }
    let m = probes as f64;
    Ok(samples
        .iter()
        .map(|samples| {
            let estimate = samples.iter().sum::<f64>() / m;
            let var = samples.iter().map(|s| (s - estimate).powi(2)).sum::<f64>() / (m - 1.0);
            Trace { estimate, std_error: (var / m).sqrt(), probes }
        })
        .collect())
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

/// The settings of a Hutchinson estimate: m probes, finite-difference step h.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Hutchinson {
    pub probes: usize,
    pub h: f64,
}

impl Hutchinson {
    /// An error unless there are >= 2 probes (for a standard error) and h is finite and > 0.
    pub fn validate(&self) -> crate::error::Result<()> {
        if self.probes >= 2 && self.h.is_finite() && self.h > 0.0 {
            Ok(())
        } else {
            Err(crate::error::Error::Invalid(format!(
                "Hutchinson needs >= 2 probes and a finite step h > 0, got {} probes, h = {}",
                self.probes, self.h
            )))
        }
    }
}

impl Default for Hutchinson {
    /// 8 probes, h = 1e-4 (for f64).
    fn default() -> Self {
        Hutchinson { probes: 8, h: 1e-4 }
    }
}
