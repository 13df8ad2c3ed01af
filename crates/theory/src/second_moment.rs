//! The full second moment Sigma = E[z z^T] of the stacked state z = (z1, z2) in R^{2d}, for any
//! stochastic linear gradient g = H_hat q with E[H_hat] = H (THEORY.md §4, §6):
//!
//! ```text
//!     z' = (M (x) I) z - (c (x) I) H_hat (a^T (x) I) z
//!     Sigma' = K Sigma K^T - K Sigma A^T H^T C^T - C H A Sigma K^T + C E[H_hat P H_hat^T] C^T,
//!     P = A Sigma A^T,  K = M (x) I,  C = c (x) I,  A = a^T (x) I
//! ```
//!
//! O(d^3) per step plus the cost of the fourth moment; no coordinate is assumed to decouple.

use crate::method::Template;
use nalgebra::DMatrix;

/// The one-step map Sigma -> Sigma' for a template, H = E[H_hat] and a fourth moment.
pub struct SecondMomentMap<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> {
    big_m: DMatrix<f64>,
    big_c: DMatrix<f64>,
    big_a: DMatrix<f64>,
    h_t: DMatrix<f64>,
    fourth: F,
}

impl<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> SecondMomentMap<F> {
    /// The map for `template`, H = `h` and `fourth(P)` = E[H_hat P H_hat^T].
    pub fn new(template: &Template, h: &DMatrix<f64>, fourth: F) -> Self {
        let t = template;
        let eye = DMatrix::<f64>::identity(h.nrows(), h.nrows());
        SecondMomentMap {
            big_m: DMatrix::from_row_slice(2, 2, &[t.m[0][0], t.m[0][1], t.m[1][0], t.m[1][1]]).kronecker(&eye),
            big_c: DMatrix::from_row_slice(2, 1, &t.c).kronecker(&eye), // 2d x d
            big_a: DMatrix::from_row_slice(1, 2, &t.a).kronecker(&eye), // d x 2d
            h_t: h.transpose(),
            fourth,
        }
    }

    /// Sigma' from a symmetric Sigma. The result is symmetrised: the formula uses Sigma = Sigma^T,
    /// and without it rounding seeds an antisymmetric part on which the formula is not the map,
    /// and which grows (seen: power iteration drifting to 0.855 where the rate is 0.811).
    pub fn apply(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        let p = &self.big_a * sigma * self.big_a.transpose();
        let cross = &self.big_m * sigma * self.big_a.transpose() * &self.h_t * self.big_c.transpose();
        let next = &self.big_m * sigma * self.big_m.transpose() - &cross - cross.transpose()
            + &self.big_c * (self.fourth)(&p) * self.big_c.transpose();
        (&next + next.transpose()) * 0.5
    }

    /// The spectral radius of the map (the per-step rate of E[loss]) by power iteration from the
    /// PSD start `sigma0`: the map preserves the PSD cone, so its Perron root is an eigenvalue
    /// with a PSD eigenvector, and the trace ratio converges to it. Stops when successive ratios
    /// agree to `tol` (relative) or after `max_iter` steps.
    pub fn spectral_radius(&self, sigma0: &DMatrix<f64>, tol: f64, max_iter: usize) -> f64 {
        let mut sigma = sigma0 / sigma0.trace();
        let mut previous = f64::NAN;
        for _ in 0..max_iter {
            let next = self.apply(&sigma);
            let ratio = next.trace();
            if !ratio.is_finite() || ratio <= 0.0 {
                return ratio;
            }
            sigma = next / ratio;
            if (ratio - previous).abs() <= tol * ratio {
                return ratio;
            }
            previous = ratio;
        }
        previous
    }
}

/// E[loss_t] = 1/2 tr(L Sigma_11), t = 0..=steps, with `fourth(P)` = E[H_hat P H_hat^T].
pub fn loss_curve(
    template: &Template,
    h: &DMatrix<f64>,
    loss_matrix: &DMatrix<f64>,
    fourth: impl Fn(&DMatrix<f64>) -> DMatrix<f64>,
    sigma0: &DMatrix<f64>,
    steps: usize,
) -> Vec<f64> {
    let map = SecondMomentMap::new(template, h, fourth);
    let d = h.nrows();
    let loss = |s: &DMatrix<f64>| 0.5 * (loss_matrix * s.view((0, 0), (d, d))).trace();
    let mut sigma = sigma0.clone();
    let mut curve = vec![loss(&sigma)];
    for _ in 0..steps {
        sigma = map.apply(&sigma);
        curve.push(loss(&sigma));
    }
    curve
}
