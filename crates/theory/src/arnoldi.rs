//! The largest-magnitude eigenvalue of a matrix-free linear map by explicitly restarted Arnoldi
//! (Saad, *Numerical Methods for Large Eigenvalue Problems*, §6.2; used for the finite-sum rate
//! of docs/theory.md §6).
//!
//! Each cycle builds an orthonormal Krylov basis V_m of span{v, Av, ..., A^{m-1} v} with twice
//! repeated Gram–Schmidt, takes the Ritz pair (theta, V y) of largest |theta| from the small
//! Hessenberg matrix H_m = V_m^T A V_m, and stops when the residual |h_{m+1,m} y_m| <= tol |theta|;
//! otherwise it restarts from Re(V y). A breakdown (A V_k inside span V_k) means the Krylov space is
//! invariant and the Ritz values are exact.
//!
//! faer 0.24's Krylov–Schur (`matrix_free::eigen::partial_eigen`) was tried first: on the Gaussian
//! second-moment map, whose Krylov space from a structured start is invariant after 3d vectors,
//! it never returns (breakdown is not handled), so this small, guarded loop is used instead.

/// Ritz estimate of the spectral radius of `apply` (a linear map on R^n) from `start`; `tol` is
/// the relative residual, `dim` the basis size, `max_restarts` the number of cycles (after which
/// the last estimate is returned).
pub fn spectral_radius(
    apply: impl Fn(&[f64]) -> Vec<f64>,
    start: &[f64],
    tol: f64,
    dim: usize,
    max_restarts: usize,
) -> f64 {
    let n = start.len();
    let dim = dim.clamp(1, n.max(1));
    let mut v = start.to_vec();
    let mut estimate = 0.0;
    for _ in 0..max_restarts {
        if !normalise(&mut v) {
            return estimate;
        }
        let mut basis = vec![v.clone()];
        let mut h = vec![vec![0.0; dim]; dim + 1]; // h[i][j], (dim + 1) x dim
        let mut size = dim;
        let mut invariant = false;
        for j in 0..dim {
            let mut w = apply(&basis[j]);
            if w.iter().any(|x| !x.is_finite()) {
                return f64::INFINITY;
            }
            let before = norm(&w);
            for _ in 0..2 {
                for (i, b) in basis.iter().enumerate() {
                    let c = dot(b, &w);
                    h[i][j] += c;
                    w.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
                }
            }
            let beta = norm(&w);
            h[j + 1][j] = beta;
            if beta <= 1e-12 * before || j + 1 == n {
                size = j + 1;
                invariant = true;
                break;
            }
            w.iter_mut().for_each(|x| *x /= beta);
            basis.push(w);
        }
        let small = faer::Mat::<f64>::from_fn(size, size, |i, j| h[i][j]);
        let Ok(eigen) = small.eigen() else { return estimate };
        let s = eigen.S();
        let top = (0..size).max_by(|&a, &b| s[a].norm().total_cmp(&s[b].norm())).expect("size >= 1");
        let theta = s[top].norm();
        estimate = theta;
        let y = eigen.U().col(top);
        let y_norm = (0..size).map(|i| y[i].norm_sqr()).sum::<f64>().sqrt();
        let residual = h[size][size - 1] * y[size - 1].norm() / y_norm;
        if invariant || theta == 0.0 || residual <= tol * theta {
            return theta;
        }
        // Restart from the real part of the Ritz vector (the imaginary part when that vanishes).
        let combine = |part: &dyn Fn(usize) -> f64| {
            let mut x = vec![0.0; n];
            for (i, b) in basis.iter().enumerate().take(size) {
                let c = part(i);
                x.iter_mut().zip(b).for_each(|(xi, bi)| *xi += c * bi);
            }
            x
        };
        v = combine(&|i| y[i].re);
        if norm(&v) <= 1e-8 * y_norm {
            v = combine(&|i| y[i].im);
        }
    }
    estimate
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    nalgebra::DVectorView::from_slice(a, a.len()).dot(&nalgebra::DVectorView::from_slice(b, b.len()))
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Scales `v` to unit length; false when it is zero or not finite.
fn normalise(v: &mut [f64]) -> bool {
    let r = norm(v);
    if !(r > 0.0 && r.is_finite()) {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= r);
    true
}
