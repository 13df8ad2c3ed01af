//! Per-example quantities of a regression task at given parameters w: the Jacobian of the
//! predictions, the gradient noise scale, and the Gauss–Newton spectrum with the residual's mass
//! on it (docs/theory.md §5 carried to networks).
//!
//! With residuals r_i = f_w(x_i) - y_i and Jacobian rows J_i = ∇_w f_w(x_i) (one backward pass
//! per row), the loss of row i, l_i = r_i^2 / 2, has gradient g_i = r_i J_i, and over the n rows
//!
//! ```text
//!     G = (1/n) sum_i g_i,    Sigma = (1/n) sum_i (g_i - G)(g_i - G)^T,
//!     B_simple = tr(Sigma) / |G|^2                           (McCandlish et al. 2018)
//! ```
//!
//! B_simple is the batch at which a mini-batch gradient's noise, E|g_B - G|^2 = tr(Sigma)/B (with
//! replacement), equals the signal |G|^2. Over all train rows (the population SGD samples from)
//! it is exact; its interval is a percentile bootstrap over the rows, the spread if the rows were
//! redrawn from the data distribution. Where |G|^2 is not well above the noise of a mean of n
//! rows, tr(Sigma)/n, the bootstrap's |G|^2 is biased up and its interval low (near
//! interpolation the estimate can fall outside it): `resolved` says |G|^2 > 4 tr(Sigma)/n.
//!
//! Gauss–Newton: GN = J^T J / n is the Hessian of the loss linearised in w (the full Hessian
//! minus (1/n) sum_i r_i ∇²f_i). With the thin SVD J / sqrt(n) = U S V^T, its non-zero eigenvalues
//! are lambda_k = s_k^2, and under the linearised dynamics the loss is
//!
//! ```text
//!     L = rho_perp + sum_k rho_k,   rho_k = (u_k . r)^2 / (2n),   rho_perp = |r|^2/(2n) - sum_k rho_k
//! ```
//!
//! where gradient descent with step eta shrinks rho_k by (1 - eta lambda_k)^2 per step and never
//! touches rho_perp. Its time to a target loss l* at eta = 1/L (L = lambda_max) is
//!
//! ```text
//!     T_lin = min { t : rho_perp + sum_k rho_k (1 - lambda_k / L)^(2t) <= l* }
//! ```
//!
//! and the smallest eigenvalue that run resolves (one e-fold of its mode's loss) is the effective
//! strong convexity, mu_eff = L / (2 T_lin), so kappa_eff = L / mu_eff = 2 T_lin: on a quadratic
//! whose spectrum is [mu, L] this is kappa up to the logarithm of the loss ratio. Choosing mu_eff
//! from the residual's mass rather than a fixed eigenvalue cut-off matters on networks: their GN
//! spectra run down to ~0, and what is slow is set by where the residual sits.

use crate::error::{Error, Result};
use crate::params;
use crate::tasks::{Loaded, Rng, Task};
use burn::tensor::{Int, Tensor, TensorData};
use nalgebra::DMatrix;
use rand::RngExt;
use serde::Serialize;

/// Predictions, residuals and Jacobian rows at the rows of a task. See the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct Jacobian {
    /// r_i = f(x_i) - y_i.
    pub residuals: Vec<f64>,
    /// J, rows x params, row-major.
    pub values: Vec<f64>,
    pub rows: usize,
    pub params: usize,
}

impl Jacobian {
    /// One backward pass per train row in `rows` (all rows when None) at `model`.
    pub fn new<T: Task>(task: &T, model: &T::Model, loaded: &Loaded, rows: Option<&[usize]>) -> Result<Self> {
        let train = &task.data().train;
        let all: Vec<usize> = (0..train.rows).collect();
        let rows = rows.unwrap_or(&all);
        let p = params::count(model);
        let (mut residuals, mut values) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len() * p));
        for &i in rows {
            if i >= train.rows {
                return Err(Error::Invalid(format!("row {i} is outside the {} train rows", train.rows)));
            }
            let index = Tensor::<1, Int>::from_data(TensorData::new(vec![i as i64], [1]), &loaded.device);
            let x = loaded.x_train.clone().select(1, index);
            let (f, jacobian_row) = params::gradient(model, |m| task.forward(m, x).sum())?;
            residuals.push(f - train.y[i]);
            values.extend(jacobian_row);
        }
        Ok(Jacobian { residuals, values, rows: rows.len(), params: p })
    }

    /// Row i of J.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.params..(i + 1) * self.params]
    }

    /// The per-example loss gradients g_i = r_i J_i (rows x params, row-major).
    pub fn loss_gradients(&self) -> Vec<f64> {
        (0..self.rows).flat_map(|i| self.row(i).iter().map(move |j| self.residuals[i] * j)).collect()
    }
}

/// The gradient noise scale. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct NoiseScale {
    /// tr(Sigma).
    pub trace_sigma: f64,
    /// |G|^2.
    pub grad_norm_sq: f64,
    /// tr(Sigma) / |G|^2.
    pub b_simple: f64,
    /// 95 % percentile-bootstrap interval of B_simple over rows.
    pub ci95: [f64; 2],
    /// |G|^2 > 4 tr(Sigma) / n: the signal is resolved by the n rows.
    pub resolved: bool,
    pub rows: usize,
}

impl NoiseScale {
    /// From the per-example gradients of `jacobian`, with `resamples` bootstrap resamples of the
    /// rows drawn from `rng`.
    pub fn new(jacobian: &Jacobian, resamples: usize, rng: &mut Rng) -> Result<Self> {
        let (n, p) = (jacobian.rows, jacobian.params);
        if n < 2 {
            return Err(Error::Invalid(format!("the noise scale needs >= 2 rows, got {n}")));
        }
        let g = jacobian.loss_gradients();
        let moments = |rows: &mut dyn Iterator<Item = usize>| -> (f64, f64) {
            let (mut mean, mut sq) = (vec![0.0; p], 0.0);
            for i in rows {
                let gi = &g[i * p..(i + 1) * p];
                mean.iter_mut().zip(gi).for_each(|(m, x)| *m += x);
                sq += gi.iter().map(|x| x * x).sum::<f64>();
            }
            let norm_sq = mean.iter().map(|m| (m / n as f64).powi(2)).sum::<f64>();
            (sq / n as f64 - norm_sq, norm_sq) // tr Sigma = mean |g_i|^2 - |G|^2
        };
        let (trace_sigma, grad_norm_sq) = moments(&mut (0..n));
        let mut boot: Vec<f64> = (0..resamples)
            .map(|_| {
                let draws: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
                let (t, s) = moments(&mut draws.into_iter());
                t / s
            })
            .collect();
        boot.sort_by(f64::total_cmp);
        let quantile = |q: f64| boot.get(((q * resamples as f64) as usize).min(resamples.saturating_sub(1))).copied();
        let b_simple = trace_sigma / grad_norm_sq;
        Ok(NoiseScale {
            trace_sigma,
            grad_norm_sq,
            b_simple,
            ci95: [quantile(0.025).unwrap_or(b_simple), quantile(0.975).unwrap_or(b_simple)],
            resolved: grad_norm_sq > 4.0 * trace_sigma / n as f64,
            rows: n,
        })
    }
}

/// The Gauss–Newton eigenvalues with the residual's mass on each. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GaussNewton {
    /// (lambda_k, rho_k), lambda increasing.
    pub modes: Vec<(f64, f64)>,
    /// rho_perp: the loss outside the range of J.
    pub unreachable: f64,
    /// |r|^2 / (2n): the loss over the Jacobian's rows.
    pub loss: f64,
}

impl GaussNewton {
    /// The thin SVD of J / sqrt(n) (nalgebra).
    pub fn new(jacobian: &Jacobian) -> Self {
        let n = jacobian.rows as f64;
        let j = DMatrix::from_row_slice(jacobian.rows, jacobian.params, &jacobian.values) / n.sqrt();
        let svd = j.svd(true, false);
        let u = svd.u.expect("asked for U");
        let r = nalgebra::DVector::from_column_slice(&jacobian.residuals);
        let mut modes: Vec<(f64, f64)> = svd
            .singular_values
            .iter()
            .enumerate()
            .map(|(k, s)| (s * s, u.column(k).dot(&r).powi(2) / (2.0 * n)))
            .collect();
        modes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let loss = r.norm_squared() / (2.0 * n);
        let reachable: f64 = modes.iter().map(|m| m.1).sum();
        GaussNewton { modes, unreachable: (loss - reachable).max(0.0), loss }
    }

    /// L = the largest eigenvalue.
    pub fn lambda_max(&self) -> f64 {
        self.modes.last().map_or(0.0, |m| m.0)
    }

    /// tr GN = sum_k lambda_k.
    pub fn trace(&self) -> f64 {
        self.modes.iter().map(|m| m.0).sum()
    }

    /// The linearised loss after t steps of gradient descent with step 1/L.
    pub fn linear_loss(&self, t: f64) -> f64 {
        let l = self.lambda_max();
        self.unreachable + self.modes.iter().map(|&(lambda, rho)| rho * (1.0 - lambda / l).powf(2.0 * t)).sum::<f64>()
    }

    /// T_lin for `target` (continuous t, by bisection; 0 when the loss is already at or below
    /// it). None when rho_perp >= target (the linearised model never gets there) or when it takes
    /// more than 1e15 steps.
    pub fn linear_time(&self, target: f64) -> Option<f64> {
        if self.unreachable >= target || self.modes.is_empty() {
            return None;
        }
        if self.linear_loss(0.0) <= target {
            return Some(0.0);
        }
        let mut hi = 1.0;
        while self.linear_loss(hi) > target {
            hi *= 2.0;
            if hi > 1e15 {
                return None;
            }
        }
        let mut lo = hi / 2.0;
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.linear_loss(mid) > target { lo = mid } else { hi = mid }
        }
        Some(hi)
    }

    /// mu_eff = L / (2 T_lin) for `target`; None without a positive T_lin. See the
    /// [module docs](self).
    pub fn mu_eff(&self, target: f64) -> Option<f64> {
        self.linear_time(target).filter(|&t| t > 0.0).map(|t| self.lambda_max() / (2.0 * t))
    }

    /// The effective spectrum for `target`: the eigenvalues >= mu_eff (what the quadratic
    /// theory of docs/theory.md §5 is fed).
    pub fn effective(&self, target: f64) -> Option<Vec<f64>> {
        let mu = self.mu_eff(target)?;
        Some(self.modes.iter().map(|m| m.0).filter(|&l| l >= mu).collect())
    }
}
