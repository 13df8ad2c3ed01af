//! The restarted Arnoldi spectral radius against a dense eigen-solve (faer), including the cases
//! that break naive Krylov codes: invariant Krylov spaces (breakdown), a complex dominant pair,
//! the zero map and a tight cluster at the top.

use nalgebra::DMatrix;
use proptest::prelude::*;
use theory::arnoldi::spectral_radius;
use theory::dense;

fn radius(m: &DMatrix<f64>, start: &[f64], tol: f64) -> f64 {
    spectral_radius(|x| (m * nalgebra::DVector::from_column_slice(x)).as_slice().to_vec(), start, tol, 20, 500)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    /// Non-negative matrices (cone-preserving, like the second-moment map), positive start.
    #[test]
    fn matches_dense_on_nonnegative_matrices(n in 1usize..60, entries in prop::collection::vec(0.0f64..1.0, 3600)) {
        let m = DMatrix::from_fn(n, n, |i, j| entries[i * 60 + j]);
        let exact = dense::spectral_radius(&m);
        let got = radius(&m, &vec![1.0; n], 1e-12);
        prop_assert!((got - exact).abs() <= 1e-9 * exact.max(1e-300), "n {n}: {got} vs {exact}");
    }
}

#[test]
fn breakdown_on_an_invariant_krylov_space_is_exact() {
    // 50 x 50 diagonal with 5 distinct values: the Krylov space is invariant after 5 vectors.
    let m = DMatrix::from_fn(50, 50, |i, j| if i == j { (i % 5 + 1) as f64 } else { 0.0 });
    assert!((radius(&m, &vec![1.0; 50], 1e-14) - 5.0).abs() < 1e-12);
    // A start inside an invariant subspace sees only that subspace.
    let e1: Vec<f64> = (0..50).map(|i| if i == 1 { 1.0 } else { 0.0 }).collect();
    assert!((radius(&m, &e1, 1e-14) - 2.0).abs() < 1e-12);
}

#[test]
fn complex_dominant_pair_and_zero_map() {
    let (c, s) = (0.9 * 0.3f64.cos(), 0.9 * 0.3f64.sin());
    let mut m = DMatrix::<f64>::zeros(30, 30);
    m[(0, 0)] = c;
    m[(0, 1)] = -s;
    m[(1, 0)] = s;
    m[(1, 1)] = c;
    for i in 2..30 {
        m[(i, i)] = 0.5 * (i as f64 / 30.0);
    }
    let got = radius(&m, &vec![1.0; 30], 1e-12);
    assert!((got - 0.9).abs() < 1e-10, "{got}");
    assert_eq!(radius(&DMatrix::zeros(10, 10), &[1.0; 10], 1e-12), 0.0);
}

#[test]
fn tight_cluster_at_the_top_converges_with_restarts() {
    // 400 eigenvalues 1 - k 1e-5 (k = 0..399) on a random orthogonal basis: a cluster the
    // 20-vector basis cannot resolve in one cycle.
    let n = 400;
    let q = DMatrix::<f64>::from_fn(n, n, |i, j| ((i * 7919 + j * 104729) % 1000) as f64 / 1000.0 - 0.5).qr().q();
    let d = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(n, |k, _| 1.0 - k as f64 * 1e-5));
    let m = &q * d * q.transpose();
    let got = radius(&m, &vec![1.0; n], 1e-10);
    assert!((got - 1.0).abs() < 1e-9, "{got}");
}
