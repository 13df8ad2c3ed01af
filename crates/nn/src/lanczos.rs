//! Eigenvalues of a symmetric operator known only through products v -> H v (a network's Hessian
//! by [`crate::hessian::hvp`]): the top eigenvalue by power iteration, extreme eigenvalues by
//! Lanczos, and the spectral density by stochastic Lanczos quadrature (SLQ).
//!
//! Lanczos (m steps from a unit vector q_1, full reorthogonalisation against every earlier q,
//! twice, so the basis stays orthonormal to rounding):
//!
//! ```text
//!     w = H q_j - beta_{j-1} q_{j-1},   alpha_j = q_j . w,   w -= alpha_j q_j,
//!     beta_j = |w|,   q_{j+1} = w / beta_j,        T_m = tridiag(beta, alpha, beta)
//! ```
//!
//! T_m = Y diag(theta) Y^T: the Ritz values theta_k approximate H's extreme eigenvalues first;
//! the residual of Ritz pair k is |H x_k - theta_k x_k| = beta_m |Y_mk|, and some eigenvalue of H
//! lies within it. The Gauss quadrature rule with nodes theta_k and weights tau_k = Y_1k^2 is
//! exact for q_1 . p(H) q_1 with deg p <= 2m - 1 (Golub & Meurant). SLQ averages the rules of
//! `probes` Rademacher start vectors: the density
//!
//! ```text
//!     phi(t) = (1/probes) sum_v sum_k tau_k(v) delta(t - theta_k(v))     (mass 1; times p: counts)
//! ```
//!
//! estimates (1/p) sum_i delta(t - lambda_i), and p sum tau theta is Hutchinson's trace estimate.
//!
//! Power iteration v <- H v / |H v| converges to the eigenvalue of largest magnitude at the rate
//! |lambda_2 / lambda_1| per step; its Rayleigh quotient theta = v . H v has an eigenvalue of H
//! within |H v - theta v| (the reported bound).

use crate::error::{Error, Result};
use crate::tasks::Rng;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::RngExt;
use serde::Serialize;

/// The top eigenvalue by power iteration. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PowerIteration {
    /// The Rayleigh quotient v . H v of the last unit vector.
    pub value: f64,
    /// |H v - value v|: an eigenvalue of H lies within this distance of `value`.
    pub residual: f64,
    /// Products H v taken.
    pub iterations: usize,
}

/// Power iteration on `op` (dimension `dim`) from a Rademacher start drawn from `rng`, until the
/// residual is at most `tol` |value| or `max_iter` products. See the [module docs](self).
pub fn power_iteration<F>(mut op: F, dim: usize, tol: f64, max_iter: usize, rng: &mut Rng) -> Result<PowerIteration>
where
    F: FnMut(&[f64]) -> Result<Vec<f64>>,
{
    let mut v = unit(rademacher(dim, rng))?;
    let mut out = PowerIteration { value: f64::NAN, residual: f64::INFINITY, iterations: 0 };
    while out.iterations < max_iter.max(1) {
        let hv = op(&v)?;
        out.iterations += 1;
        out.value = dot(&v, &hv);
        out.residual = hv.iter().zip(&v).map(|(h, x)| (h - out.value * x).powi(2)).sum::<f64>().sqrt();
        if !out.value.is_finite() || out.residual <= tol * out.value.abs() || norm(&hv) == 0.0 {
            break;
        }
        v = unit(hv)?;
    }
    Ok(out)
}

/// The Lanczos tridiagonal T_m of `op` from `start` (normalised here): m = `steps`, fewer on
/// an invariant subspace (beta_j <= 1e-12 |T|). See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tridiagonal {
    /// alpha_1..alpha_m.
    pub alpha: Vec<f64>,
    /// beta_1..beta_m (beta_m couples to the next, unbuilt, vector: the residual scale).
    pub beta: Vec<f64>,
}

/// Runs Lanczos with full reorthogonalisation. See the [module docs](self).
pub fn lanczos<F>(mut op: F, start: &[f64], steps: usize) -> Result<Tridiagonal>
where
    F: FnMut(&[f64]) -> Result<Vec<f64>>,
{
    let dim = start.len();
    let mut basis: Vec<Vec<f64>> = vec![unit(start.to_vec())?];
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    for j in 0..steps.min(dim) {
        let mut w = op(&basis[j])?;
        if w.len() != dim || w.iter().any(|x| !x.is_finite()) {
            return Err(Error::Invalid(format!(
                "the operator returned a non-finite or wrong-length product at step {j}"
            )));
        }
        let a = dot(&basis[j], &w);
        alpha.push(a);
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &w);
                w.iter_mut().zip(q).for_each(|(wi, qi)| *wi -= c * qi);
            }
        }
        let b = norm(&w);
        beta.push(b);
        let scale = alpha.iter().chain(&beta).fold(0.0f64, |m, x| m.max(x.abs()));
        if b <= 1e-12 * scale || j + 1 == dim {
            break;
        }
        basis.push(w.into_iter().map(|x| x / b).collect());
    }
    Ok(Tridiagonal { alpha, beta })
}

/// The Ritz pairs of a Lanczos run: values theta_k (increasing), Gauss weights tau_k = Y_1k^2
/// (summing to 1) and residual bounds beta_m |Y_mk|.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ritz {
    pub values: Vec<f64>,
    pub weights: Vec<f64>,
    pub residuals: Vec<f64>,
}

impl Tridiagonal {
    /// The eigen-decomposition of T_m (nalgebra's symmetric QR).
    pub fn ritz(&self) -> Ritz {
        let m = self.alpha.len();
        let mut t = DMatrix::<f64>::zeros(m, m);
        for i in 0..m {
            t[(i, i)] = self.alpha[i];
            if i + 1 < m {
                t[(i, i + 1)] = self.beta[i];
                t[(i + 1, i)] = self.beta[i];
            }
        }
        let eigen = SymmetricEigen::new(t);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[a].total_cmp(&eigen.eigenvalues[b]));
        let last = self.beta.last().copied().unwrap_or(0.0);
        Ritz {
            values: order.iter().map(|&k| eigen.eigenvalues[k]).collect(),
            weights: order.iter().map(|&k| eigen.eigenvectors[(0, k)].powi(2)).collect(),
            residuals: order.iter().map(|&k| (last * eigen.eigenvectors[(m - 1, k)]).abs()).collect(),
        }
    }
}

/// A spectral density estimate by SLQ: the nodes and weights of every probe's Gauss rule
/// (weights sum to 1 over all nodes) and the operator's dimension. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Density {
    /// (theta, weight / probes) of every node of every probe.
    pub nodes: Vec<(f64, f64)>,
    pub dim: usize,
    pub probes: usize,
    pub steps: usize,
}

impl Density {
    /// The estimate of (1/p) sum_i f(lambda_i): sum over nodes of weight f(theta).
    pub fn mean_of(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.nodes.iter().map(|&(t, w)| w * f(t)).sum()
    }

    /// The trace estimate p sum weight theta.
    pub fn trace(&self) -> f64 {
        self.dim as f64 * self.mean_of(|t| t)
    }

    /// The density smoothed by a Gaussian of width `sigma` at `points`, normalised to mass 1.
    pub fn smoothed(&self, points: &[f64], sigma: f64) -> Vec<f64> {
        let c = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        points.iter().map(|&x| self.mean_of(|t| c * (-0.5 * ((x - t) / sigma).powi(2)).exp())).collect()
    }
}

/// SLQ with `probes` Rademacher start vectors from `rng` and `steps` Lanczos steps each.
pub fn slq<F>(mut op: F, dim: usize, probes: usize, steps: usize, rng: &mut Rng) -> Result<Density>
where
    F: FnMut(&[f64]) -> Result<Vec<f64>>,
{
    if probes == 0 || steps == 0 || dim == 0 {
        return Err(Error::Invalid(format!(
            "SLQ needs probes, steps and a dimension >= 1, got {probes}, {steps}, {dim}"
        )));
    }
    let mut nodes = Vec::new();
    for _ in 0..probes {
        let ritz = lanczos(&mut op, &rademacher(dim, rng), steps)?.ritz();
        nodes.extend(ritz.values.iter().zip(&ritz.weights).map(|(&t, &w)| (t, w / probes as f64)));
    }
    Ok(Density { nodes, dim, probes, steps })
}

/// `dim` entries ±1, independent and equally likely.
pub fn rademacher(dim: usize, rng: &mut Rng) -> Vec<f64> {
    (0..dim).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

fn unit(v: Vec<f64>) -> Result<Vec<f64>> {
    let n = norm(&v);
    if !(n.is_finite() && n > 0.0) {
        return Err(Error::Invalid("a start vector must be finite and non-zero".into()));
    }
    Ok(v.into_iter().map(|x| x / n).collect())
}
