//! The full second moment Sigma = E[z z^T] of the stacked state z = (z1, z2) in R^{2d}, for any
//! stochastic linear gradient g = H_hat q with E\[H_hat\] = H (docs/theory.md §4, §6):
//!
//! ```text
//!     z' = (M (x) I) z - (c (x) I) H_hat (a^T (x) I) z
//!     Sigma' = K Sigma K^T - K Sigma A^T H^T C^T - C H A Sigma K^T + C E[H_hat P H_hat^T] C^T,
//!     P = A Sigma A^T,  K = M (x) I,  C = c (x) I,  A = a^T (x) I
//! ```
//!
//! The map is written in an eigenbasis of a symmetric H, where H = diag(h): rotating every
//! d-block of Sigma by the same orthogonal Q (and H_hat, L with it) changes neither the map's
//! form nor E\[loss\] = 1/2 tr(L Sigma_11), and the products with H cost O(d^2). The fourth moment
//! E[H_hat P H_hat^T] is the caller's (O(n d^2) for a finite sum of n atoms); no coordinate is
//! assumed to decouple.

use crate::dynamics::{Hitting, curve, hitting};
use crate::method::Template;
use nalgebra::DMatrix;

/// The one-step map Sigma -> Sigma' for a template, H = diag(h) and a fourth moment.
pub struct SecondMomentMap<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> {
    template: Template,
    h: Vec<f64>,
    fourth: F,
}

impl<F: Fn(&DMatrix<f64>) -> DMatrix<f64>> SecondMomentMap<F> {
    /// The map for `template`, H = diag(`h`) and `fourth(P)` = E[H_hat P H_hat^T].
    pub fn new(template: &Template, h: &[f64], fourth: F) -> Self {
        SecondMomentMap { template: *template, h: h.to_vec(), fourth }
    }

    /// Sigma' from a symmetric Sigma, in d x d blocks S_ab (a, b in {1, 2}, S_21 = S_12^T),
    /// entry by entry (r, c) in one pass after the fourth moment F = E[H_hat P H_hat^T]:
    ///
    /// ```text
    ///     P = sum_ab a_a a_b S_ab,   R_i = sum_a M_ia sum_b a_b S_ab,   Y_i = R_i H
    ///     Sigma'_ij = sum_ab M_ia M_jb S_ab - c_j Y_i - c_i Y_j^T + c_i c_j F
    ///     Y_i[r, c] = R_i[r, c] h_c,   Y_j^T[r, c] = R_j[c, r] h_r
    /// ```
    ///
    /// The result is symmetric by construction: the formula uses Sigma = Sigma^T, and without it
    /// rounding seeds an antisymmetric part on which the formula is not the map, and which grows
    /// (seen: power iteration drifting to 0.855 where the rate is 0.811). So the diagonal blocks
    /// are computed on and above the diagonal and mirrored, and the (2, 1) block is the transpose
    /// of the (1, 2) one.
    ///
    /// Where the CPU has AVX2 the element-wise passes are compiled for it: Rust never fuses a
    /// multiply and an add, so the bits are the same as the baseline build's (the fourth moment's
    /// matrix products are the caller's: nalgebra's pick an FMA kernel where the CPU has one).
    pub fn apply(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.apply_avx2(sigma) };
        }
        self.apply_with(sigma)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn apply_avx2(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        self.apply_with(sigma)
    }

    /// [`Self::apply`], inlined into each instruction set's copy.
    #[inline(always)]
    fn apply_with(&self, sigma: &DMatrix<f64>) -> DMatrix<f64> {
        let a = self.template.a;
        let d = self.h.len();
        assert_eq!(sigma.shape(), (2 * d, 2 * d), "Sigma is 2d x 2d for d = {d} eigenvalues");
        // Column `j` of Sigma, its upper (rows 0..d) or lower (rows d..2d) half: column c of
        // S_11 and S_21 (= S_12^T, as Sigma is stored whole) is column c of Sigma, of S_12 and
        // S_22 column d + c.
        let stored = sigma.as_slice();
        let half = |j: usize, lower: bool| &stored[j * 2 * d + if lower { d } else { 0 }..][..d];
        let blocks = |col: usize| Blocks {
            x: half(col, false),
            yt: half(col, true),
            y: half(d + col, false),
            w: half(d + col, true),
        };
        let (p00, p01, p11) = (a[0] * a[0], a[0] * a[1], a[1] * a[1]);
        let mut p = DMatrix::<f64>::zeros(d, d);
        for (col, out) in p.column_iter_mut().enumerate() {
            let Blocks { x, y, yt, w } = blocks(col);
            for (r, o) in out.into_iter().enumerate() {
                *o = p00 * x[r] + p01 * (y[r] + yt[r]) + p11 * w[r];
            }
        }
        let f = (self.fourth)(&p);
        let mut next = DMatrix::<f64>::zeros(2 * d, 2 * d);
        for col in 0..d {
            let s = blocks(col);
            let f = &f.as_slice()[col * d..][..d];
            let out = &mut next.as_mut_slice()[col * 2 * d..][..2 * d];
            self.block_column((0, 0), &s, f, col, &mut out[..=col]);
            let out = &mut next.as_mut_slice()[(d + col) * 2 * d..][..2 * d];
            let (b01, b11) = out.split_at_mut(d);
            self.block_column((0, 1), &s, f, col, b01);
            self.block_column((1, 1), &s, f, col, &mut b11[..=col]);
        }
        next.view_mut((0, 0), (d, d)).fill_lower_triangle_with_upper_triangle();
        next.view_mut((d, d), (d, d)).fill_lower_triangle_with_upper_triangle();
        let b01 = next.view((0, d), (d, d)).transpose();
        next.view_mut((d, 0), (d, d)).copy_from(&b01);
        next
    }

    /// Rows 0..out.len() of column `col` of the block Sigma'_ij, from the blocks' column `col`
    /// (`s`) and F's (`f`): with R_i = sum_a M_ia (a_1 S_a1 + a_2 S_a2) read at (r, col) and
    /// R_j^T, the same at (col, r), which swaps S_12 and S_21,
    /// Sigma'_ij = sum_ab M_ia M_jb S_ab - c_j R_i h_col - c_i R_j^T h_r + c_i c_j F.
    #[inline(always)]
    fn block_column(&self, (i, j): (usize, usize), s: &Blocks, f: &[f64], col: usize, out: &mut [f64]) {
        let Template { m, c, a } = self.template;
        let rows = out.len();
        let (x, y, yt, w, f, h) =
            (&s.x[..rows], &s.y[..rows], &s.yt[..rows], &s.w[..rows], &f[..rows], &self.h[..rows]);
        let (ci, cj, hc) = (c[i], c[j], self.h[col]);
        for r in 0..rows {
            let k = m[i][0] * (m[j][0] * x[r] + m[j][1] * y[r]) + m[i][1] * (m[j][0] * yt[r] + m[j][1] * w[r]);
            let ri = m[i][0] * (a[0] * x[r] + a[1] * y[r]) + m[i][1] * (a[0] * yt[r] + a[1] * w[r]);
            let rj_t = m[j][0] * (a[0] * x[r] + a[1] * yt[r]) + m[j][1] * (a[0] * y[r] + a[1] * w[r]);
            out[r] = k - cj * ri * hc - ci * rj_t * h[r] + ci * cj * f[r];
        }
    }

    /// The spectral radius of the map (the per-step rate of E\[loss\]), by restarted Arnoldi on
    /// vec(Sigma) from the identity. The map preserves the PSD cone, so its spectral radius is an
    /// eigenvalue with a PSD eigenvector (Krein–Rutman), and the identity, inside the cone, has a
    /// component along it. `tol`: relative residual of the Ritz pair.
    pub fn spectral_radius(&self, tol: f64) -> f64 {
        let side = 2 * self.h.len();
        let apply = |x: &[f64]| self.apply(&DMatrix::from_column_slice(side, side, x)).as_slice().to_vec();
        let start = DMatrix::<f64>::identity(side, side);
        crate::arnoldi::spectral_radius(apply, start.as_slice(), tol, 100, 1000)
    }
}

/// Column c of the four d-blocks of a symmetric Sigma: S_11, S_12, S_21 and S_22.
struct Blocks<'a> {
    x: &'a [f64],
    y: &'a [f64],
    yt: &'a [f64],
    w: &'a [f64],
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

/// E\[loss_t\] = 1/2 tr(L Sigma_11), t = 0..=steps, with H = diag(`h`) and `fourth(P)` =
/// E[H_hat P H_hat^T] (all in one basis).
/// Stops early (shorter vector) once the loss diverges ([`crate::diverged`]), as the Gaussian
/// recursion does.
pub fn loss_curve(
    template: &Template,
    h: &[f64],
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
    h: &[f64],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;

    /// The AVX2 copy of the map and the baseline one give the same bits, for sizes with and
    /// without a full vector (d = 3, 5, 17) and every family's template.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_and_baseline_maps_agree_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let methods = [
            Method::Sgd { lr: 0.7 },
            Method::Hb { lr: 0.3, momentum: 0.8 },
            Method::Nag { lr: 0.3, momentum: 0.8 },
            Method::Asgd { lr: 0.5, long_step: 20.0, xi: 3.0 },
        ];
        for d in [3, 5, 17] {
            let h: Vec<f64> = (0..d).map(|i| 1.0 / (1.0 + i as f64)).collect();
            let root = DMatrix::from_fn(2 * d, 2 * d, |i, j| ((i * 7 + j * 3) % 5) as f64 / 5.0 - 0.3);
            let sigma = &root * root.transpose();
            let sigma = (&sigma + sigma.transpose()) * 0.5;
            for method in methods {
                let fourth = |p: &DMatrix<f64>| p * 0.25 + DMatrix::from_fn(d, d, |r, c| h[r] * p[(r, c)] * h[c]);
                let map = SecondMomentMap::new(&method.template(), &h, fourth);
                // SAFETY: AVX2 detected above.
                let fast = unsafe { map.apply_avx2(&sigma) };
                let baseline = map.apply_with(&sigma);
                assert!(fast.iter().zip(baseline.iter()).all(|(a, b)| a.to_bits() == b.to_bits()), "{method:?} d={d}");
            }
        }
    }
}
