//! Dense reference computations, independent of the closed forms in [`mod@crate::rate`] and the
//! block recursion in [`crate::dynamics`]; the tests check those against these on small d.
//!
//! - [`operator`]: the full second-moment map on the 4d numbers vec(s_i) (each 2x2 block
//!   unsymmetrised), built from Kronecker products; its spectral radius is the rate.
//! - [`loss_curve`]: the 2d x 2d second moment E[z z^T] iterated with the Gaussian fourth moment
//!   E[H_B P H_B] = H P H + (H P H + tr(H P) H) / B, keeping every off-diagonal block.

use crate::dynamics::noise_weight;
use crate::method::Method;
use crate::spectrum::Spectrum;
use nalgebra::{DMatrix, Matrix2, Vector2};

/// T on R^{4d}: T_ji = delta_ji A_j (x) A_j + (delta_ji l_j^2 + l_j l_i)/B (c (x) c)(a (x) a)^T.
pub fn operator(spectrum: &Spectrum, method: &Method, batch: f64) -> DMatrix<f64> {
    let t = method.template();
    let l = spectrum.eigenvalues();
    let d = l.len();
    let inv_b = noise_weight(batch);
    let c = Vector2::from(t.c);
    let a = Vector2::from(t.a);
    let noise = c.kronecker(&c) * a.kronecker(&a).transpose();
    let mut op = DMatrix::zeros(4 * d, 4 * d);
    for j in 0..d {
        let m = t.transition(l[j]);
        let aj = Matrix2::new(m[0][0], m[0][1], m[1][0], m[1][1]);
        let mut diag = op.fixed_view_mut::<4, 4>(4 * j, 4 * j);
        diag += aj.kronecker(&aj);
        for i in 0..d {
            let w = (if i == j { l[j] * l[j] } else { 0.0 } + l[j] * l[i]) * inv_b;
            let mut block = op.fixed_view_mut::<4, 4>(4 * j, 4 * i);
            block += noise * w;
        }
    }
    op
}

/// The spectral radius of [`operator`] by a dense eigen-solve.
///
/// The operator is assembled with nalgebra; its eigenvalues come from faer, because nalgebra's
/// real Schur iteration (no exceptional shifts) cycles forever on these exactly structured
/// matrices (nalgebra issues #611, #764), e.g. heavy ball on `power:d=4` at B = 100.
pub fn rate(spectrum: &Spectrum, method: &Method, batch: f64) -> f64 {
    spectral_radius(&operator(spectrum, method, batch))
}

/// max |eigenvalue| of a square matrix.
pub fn spectral_radius(m: &DMatrix<f64>) -> f64 {
    let n = m.nrows();
    let f = faer::Mat::<f64>::from_fn(n, n, |i, j| m[(i, j)]);
    f.eigenvalues().expect("dense eigen-solve of a finite matrix").iter().map(|z| z.norm()).fold(0.0, f64::max)
}

/// E\[loss_t\], t = 0..=steps, from the full 2d x 2d second moment `sigma0` of z = (z1, z2), with
/// the Gaussian fourth moment E[H_B P H_B] = H P H + (H P H + tr(H P) H) / B.
pub fn loss_curve(spectrum: &Spectrum, method: &Method, batch: f64, sigma0: &DMatrix<f64>, steps: usize) -> Vec<f64> {
    let h = DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(spectrum.eigenvalues()));
    let inv_b = noise_weight(batch);
    let fourth = |p: &DMatrix<f64>| {
        let hph = &h * p * &h;
        &hph + (&hph + &h * (&h * p).trace()) * inv_b
    };
    crate::second_moment::loss_curve(&method.template(), spectrum.eigenvalues(), &h, fourth, sigma0, steps)
}
