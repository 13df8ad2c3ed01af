//! The full second moment Sigma = E[z z^T] of the stacked state z = (z1, z2) in R^{2d}, for any
//! stochastic linear gradient g = H_hat q with E\[H_hat\] = H (docs/theory.md §4, §6):
//!
//! ```text
//!     z' = (M (x) I) z - (c (x) I) H_hat (a^T (x) I) z
//!     Sigma' = K Sigma K^T - K Sigma A^T H^T C^T - C H A Sigma K^T + C E[H_hat P H_hat^T] C^T,
//!     P = A Sigma A^T,  K = M (x) I,  C = c (x) I,  A = a^T (x) I
//! ```
//!
//! O(d^3) per step plus the cost of the fourth moment; no coordinate is assumed to decouple.

use crate::dynamics::{Hitting, curve, hitting};
use crate::method::Template;
use nalgebra::DMatrix;

/// The one-step map Sigma -> Sigma' for a template, H = E\[H_hat\] and a fourth moment.
pub struct SecondMomentMap<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> {
    template: Template,
    h_t: DMatrix<f64>,
    fourth: F,
}

impl<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> SecondMomentMap<F> {
    /// The map for `template`, H = `h` and `fourth(P)` = E[H_hat P H_hat^T].
    pub fn new(template: &Template, h: &DMatrix<f64>, fourth: F) -> Self {
        SecondMomentMap { template: *template, h_t: h.transpose(), fourth }
    }

    /// Sigma' from a symmetric Sigma, in d x d blocks S_ab (a, b in {1, 2}) so that the Kronecker
    /// factors cost O(d^2):
    ///
    /// ```text
    ///     P = sum_ab a_a a_b S_ab,   Y_i = (sum_a M_ia sum_b a_b S_ab) H^T
    ///     Sigma'_ij = sum_ab M_ia M_jb S_ab - c_j Y_i - c_i Y_j^T + c_i c_j E[H_hat P H_hat^T]
    /// ```
    ///
    /// The result is symmetric by construction: the formula uses Sigma = Sigma^T, and without
    /// it rounding seeds an antisymmetric part on which the formula is not the map, and which
    /// grows (seen: power iteration drifting to 0.855 where the rate is 0.811). So the diagonal
    /// blocks are symmetrised and the (2, 1) block is the transpose of the (1, 2) one (equal in
    /// exact arithmetic, since Sigma and E[H_hat P H_hat^T] are symmetric), computed once.
    pub fn apply(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        let Template { m, c, a } = self.template;
        let d = self.h_t.nrows();
        let block = |i: usize, j: usize| sigma.view((i * d, j * d), (d, d));
        let s = [[block(0, 0), block(0, 1)], [block(1, 0), block(1, 1)]];
        let combine = |w: [[f64; 2]; 2]| {
            let mut out = DMatrix::<f64>::zeros(d, d);
            for (wa, sa) in w.iter().zip(&s) {
                for (&wab, sab) in wa.iter().zip(sa) {
                    if wab != 0.0 {
                        out.zip_apply(sab, |o, x| *o += wab * x);
                    }
                }
            }
            out
        };
        let p = combine([[a[0] * a[0], a[0] * a[1]], [a[1] * a[0], a[1] * a[1]]]);
        let y: Vec<DMatrix<f64>> = (0..2)
            .map(|i| combine([[m[i][0] * a[0], m[i][0] * a[1]], [m[i][1] * a[0], m[i][1] * a[1]]]) * &self.h_t)
            .collect();
        let f = (self.fourth)(&p);
        let mut next = DMatrix::<f64>::zeros(2 * d, 2 * d);
        for (i, j) in [(0, 0), (0, 1), (1, 1)] {
            let mut b = combine([[m[i][0] * m[j][0], m[i][0] * m[j][1]], [m[i][1] * m[j][0], m[i][1] * m[j][1]]]);
            b -= &y[i] * c[j] + y[j].transpose() * c[i];
            b += &f * (c[i] * c[j]);
            if i == j {
                b = (&b + b.transpose()) * 0.5;
            } else {
                next.view_mut((j * d, i * d), (d, d)).tr_copy_from(&b);
            }
            next.view_mut((i * d, j * d), (d, d)).copy_from(&b);
        }
        next
    }

    /// The spectral radius of the map (the per-step rate of E\[loss\]), by restarted Arnoldi on
    /// vec(Sigma) from the identity. The map preserves the PSD cone, so its spectral radius is an
    /// eigenvalue with a PSD eigenvector (Krein–Rutman), and the identity, inside the cone, has a
    /// component along it. `tol`: relative residual of the Ritz pair.
    pub fn spectral_radius(&self, tol: f64) -> f64 {
        let side = 2 * self.h_t.nrows();
        let apply = |x: &[f64]| self.apply(&DMatrix::from_column_slice(side, side, x)).as_slice().to_vec();
        let start = DMatrix::<f64>::identity(side, side);
        crate::arnoldi::spectral_radius(apply, start.as_slice(), tol, 100, 1000)
    }
}

/// E\[loss\] = 1/2 tr(L Sigma_11) along the iterates Sigma_t of a map.
struct Trajectory<'a, F: Fn(&DMatrix<f64>) -> DMatrix<f64>> {
    map: SecondMomentMap<F>,
    loss_matrix: &'a DMatrix<f64>,
    sigma: DMatrix<f64>,
}

impl<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> Trajectory<'_, F> {
    /// 1/2 tr(L Sigma_11) = 1/2 sum_ij L_ji (Sigma_11)_ij, in O(d^2).
    fn loss(&self) -> f64 {
        let d = self.loss_matrix.nrows();
        0.5 * self.loss_matrix.tr_dot(&self.sigma.view((0, 0), (d, d)))
    }

    fn step(&mut self) -> f64 {
        self.sigma = self.map.apply(&self.sigma);
        self.loss()
    }
}

/// E\[loss_t\] = 1/2 tr(L Sigma_11), t = 0..=steps, with `fourth(P)` = E[H_hat P H_hat^T].
/// Stops early (shorter vector) once the loss diverges ([`crate::diverged`]), as the Gaussian
/// recursion does.
pub fn loss_curve(
    template: &Template,
    h: &DMatrix<f64>,
    loss_matrix: &DMatrix<f64>,
    fourth: impl Fn(&DMatrix<f64>) -> DMatrix<f64>,
    sigma0: &DMatrix<f64>,
    steps: usize,
) -> Vec<f64> {
    let mut path = Trajectory { map: SecondMomentMap::new(template, h, fourth), loss_matrix, sigma: sigma0.clone() };
    curve(path.loss(), steps, || path.step())
}

/// T(eps) of the same recursion: the first t <= max_steps with E\[loss_t\] <= eps E\[loss_0\].
pub fn iterations_to_target(
    template: &Template,
    h: &DMatrix<f64>,
    loss_matrix: &DMatrix<f64>,
    fourth: impl Fn(&DMatrix<f64>) -> DMatrix<f64>,
    sigma0: &DMatrix<f64>,
    eps: f64,
    max_steps: usize,
) -> Hitting {
    let mut path = Trajectory { map: SecondMomentMap::new(template, h, fourth), loss_matrix, sigma: sigma0.clone() };
    let loss0 = path.loss();
    hitting(loss0, eps, max_steps, || path.step())
}
