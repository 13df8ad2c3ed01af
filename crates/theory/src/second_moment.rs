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

/// E[loss_t] = 1/2 tr(L Sigma_11), t = 0..=steps, with `fourth(P)` = E[H_hat P H_hat^T].
pub fn loss_curve(
    template: &Template,
    h: &DMatrix<f64>,
    loss_matrix: &DMatrix<f64>,
    fourth: impl Fn(&DMatrix<f64>) -> DMatrix<f64>,
    sigma0: &DMatrix<f64>,
    steps: usize,
) -> Vec<f64> {
    let t = template;
    let d = h.nrows();
    let eye = DMatrix::<f64>::identity(d, d);
    let big_m = DMatrix::from_row_slice(2, 2, &[t.m[0][0], t.m[0][1], t.m[1][0], t.m[1][1]]).kronecker(&eye);
    let big_c = DMatrix::from_row_slice(2, 1, &t.c).kronecker(&eye); // 2d x d
    let big_a = DMatrix::from_row_slice(1, 2, &t.a).kronecker(&eye); // d x 2d
    let loss = |s: &DMatrix<f64>| 0.5 * (loss_matrix * s.view((0, 0), (d, d))).trace();
    let mut sigma = sigma0.clone();
    let mut curve = vec![loss(&sigma)];
    for _ in 0..steps {
        let p = &big_a * &sigma * big_a.transpose();
        let cross = &big_m * &sigma * big_a.transpose() * h.transpose() * big_c.transpose();
        sigma =
            &big_m * &sigma * big_m.transpose() - &cross - cross.transpose() + &big_c * fourth(&p) * big_c.transpose();
        curve.push(loss(&sigma));
    }
    curve
}
