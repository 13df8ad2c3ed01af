//! The curvature and noise estimators (crates/nn/src/{lanczos,noise,curvature}.rs) against exact
//! answers: dense eigen-solves with nalgebra, the closed-form per-example gradients of linear
//! regression, and Gauss quadrature's exactness.
//!
//! The network is linear regression f(x) = x w + b (an MLP with no hidden layer), whose loss
//! 1/(2n)|X~ w~ - y|^2 has the Hessian X~^T X~ / n with X~ = [X 1] exactly; its Gauss–Newton
//! matrix is the same, and the loss its gradient descent can never remove is the least-squares
//! residual.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use nn::curvature::{self, Settings};
use nn::lanczos::{lanczos, power_iteration, rademacher, slq};
use nn::noise::{GaussNewton, Jacobian, NoiseScale};
use nn::tasks::mlp::{MlpRegression, MlpWeights};
use nn::tasks::{Data, Split, Stream, Task, gaussian, rng};
use nn::{Backend, Precision};
use proptest::prelude::*;

/// Linear regression as a task: n rows of p correlated features, labels from a linear teacher
/// plus noise (so the least-squares residual is not zero).
struct Linear {
    data: Data,
    weights: MlpWeights,
}

impl Linear {
    fn new(n: usize, p: usize, seed: u64) -> Self {
        let mut r = rng(seed, Stream::Data);
        let z = gaussian(&mut r, n * p);
        // Features with scales 1, 2, ..., p (a spread-out spectrum).
        let x: Vec<f64> = z.iter().enumerate().map(|(k, v)| v * (1 + k % p) as f64).collect();
        let teacher = gaussian(&mut r, p);
        let noise = gaussian(&mut r, n);
        let y = (0..n).map(|i| (0..p).map(|j| x[i * p + j] * teacher[j]).sum::<f64>() + 0.5 * noise[i]).collect();
        let train = Split::new(x, y, n, p).unwrap();
        let test = Split::new(vec![], vec![], 0, p).unwrap();
        Linear { data: Data { train, test }, weights: MlpWeights::random(&[p, 1], 0.3, &mut rng(seed, Stream::Init)) }
    }

    /// X~ = [X 1] in the model's parameter order (weights, then the bias).
    fn design(&self) -> DMatrix<f64> {
        let t = &self.data.train;
        DMatrix::from_fn(t.rows, t.cols + 1, |i, j| if j < t.cols { t.x[i * t.cols + j] } else { 1.0 })
    }

    fn hessian(&self) -> DMatrix<f64> {
        let x = self.design();
        x.transpose() * &x / self.data.train.rows as f64
    }

    fn w(&self) -> DVector<f64> {
        let l = &self.weights.layers[0];
        DVector::from_iterator(l.weight.len() + 1, l.weight.iter().chain(&l.bias).copied())
    }
}

impl MlpRegression for Linear {
    const NAME: &'static str = "linear";
    type Settings = ();
    fn settings(&self) -> &() {
        &()
    }
    fn dataset(&self) -> &Data {
        &self.data
    }
    fn initial_weights(&self) -> MlpWeights {
        self.weights.clone()
    }
}

fn sorted_eigenvalues(m: DMatrix<f64>) -> Vec<f64> {
    let mut v: Vec<f64> = SymmetricEigen::new(m).eigenvalues.iter().copied().collect();
    v.sort_by(f64::total_cmp);
    v
}

fn dense_op(m: &DMatrix<f64>) -> impl FnMut(&[f64]) -> nn::Result<Vec<f64>> + '_ {
    move |v: &[f64]| Ok((m * DVector::from_column_slice(v)).iter().copied().collect())
}

/// A random symmetric matrix with eigenvalues spread over [-1, 4].
fn symmetric(dim: usize, seed: u64) -> DMatrix<f64> {
    let g = DMatrix::from_vec(dim, dim, gaussian(&mut rng(seed, Stream::Data), dim * dim));
    let q = g.qr().q();
    let d = DMatrix::from_diagonal(&DVector::from_fn(dim, |i, _| -1.0 + 5.0 * (i as f64 / dim as f64).powi(2)));
    let m = &q * d * q.transpose();
    (&m + m.transpose()) / 2.0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Gauss quadrature from m Lanczos steps is exact for q1 . H^k q1 up to k = 2m - 1, and m =
    /// dim steps recover every eigenvalue.
    #[test]
    fn lanczos_moments_are_exact(dim in 3usize..24, steps in 1usize..8, seed in 0u64..1000) {
        let h = symmetric(dim, seed);
        let start = rademacher(dim, &mut rng(seed, Stream::Probes));
        let q = DVector::from_column_slice(&start).normalize();
        let ritz = lanczos(dense_op(&h), &start, steps).unwrap().ritz();
        let m = ritz.values.len();
        prop_assert!(m <= steps.min(dim));
        let mut hk = q.clone();
        for k in 0..2 * m {
            let exact = q.dot(&hk);
            let rule: f64 = ritz.values.iter().zip(&ritz.weights).map(|(t, w)| w * t.powi(k as i32)).sum();
            prop_assert!((rule - exact).abs() <= 1e-9 * 4f64.powi(k as i32), "k = {}: {} vs {}", k, rule, exact);
            hk = &h * hk;
        }
        let full = lanczos(dense_op(&h), &start, dim).unwrap().ritz();
        for (a, b) in full.values.iter().zip(sorted_eigenvalues(h.clone())) {
            prop_assert!((a - b).abs() <= 1e-9, "{} vs {}", a, b);
        }
    }
}

/// Ritz values never leave the spectrum's hull, and each has an eigenvalue within its residual
/// bound; the top one converges first. Power iteration's Rayleigh quotient is within its
/// residual of an eigenvalue and, for a positive definite matrix, converges to the largest.
#[test]
fn ritz_and_power_bounds_hold() {
    let h = symmetric(40, 3);
    let exact = sorted_eigenvalues(h.clone());
    let ritz = lanczos(dense_op(&h), &rademacher(40, &mut rng(1, Stream::Probes)), 12).unwrap().ritz();
    for (v, r) in ritz.values.iter().zip(&ritz.residuals) {
        assert!(*v >= exact[0] - 1e-12 && *v <= exact[39] + 1e-12);
        let gap = exact.iter().map(|e| (e - v).abs()).fold(f64::INFINITY, f64::min);
        assert!(gap <= r + 1e-12, "Ritz value {v}: nearest eigenvalue {gap} away, bound {r}");
    }
    assert!((ritz.values.last().unwrap() - exact[39]).abs() < 1e-3);

    let spd = &h + DMatrix::identity(40, 40) * 1.5; // eigenvalues in [0.5, 5.5]
    let top = sorted_eigenvalues(spd.clone())[39];
    let power = power_iteration(dense_op(&spd), 40, 1e-10, 5000, &mut rng(2, Stream::Probes)).unwrap();
    assert!((power.value - top).abs() <= power.residual + 1e-12);
    assert!((power.value - top).abs() <= 1e-8 * top, "{} vs {top}", power.value);
}

/// SLQ with as many steps as the dimension is exact per probe: its moments equal the probes'
/// v.H^k v / |v|^2 averaged, computed densely with the same probes.
#[test]
fn slq_is_the_average_of_exact_probe_rules() {
    let h = symmetric(15, 7);
    let density = slq(dense_op(&h), 15, 5, 15, &mut rng(4, Stream::Probes)).unwrap();
    let mut probes = rng(4, Stream::Probes);
    let (mut m1, mut m2) = (0.0, 0.0);
    for _ in 0..5 {
        let v = DVector::from_column_slice(&rademacher(15, &mut probes)).normalize();
        m1 += v.dot(&(&h * &v)) / 5.0;
        m2 += (&h * &v).norm_squared() / 5.0;
    }
    assert!((density.mean_of(|t| t) - m1).abs() < 1e-12);
    assert!((density.mean_of(|t| t * t) - m2).abs() < 1e-10);
    assert!((density.trace() - 15.0 * m1).abs() < 1e-10);
    let mass: f64 = density.nodes.iter().map(|n| n.1).sum();
    assert!((mass - 1.0).abs() < 1e-12);
    let grid: Vec<f64> = (0..400).map(|i| -3.0 + 10.0 * i as f64 / 400.0).collect();
    let smooth: f64 = density.smoothed(&grid, 0.1).iter().sum::<f64>() * 10.0 / 400.0;
    assert!((smooth - 1.0).abs() < 1e-3, "the smoothed density has mass {smooth}");
}

fn device() -> burn::tensor::Device {
    nn::device(Backend::Flex, Precision::F64).unwrap()
}

/// Every estimate on linear regression (p = 6 features + bias, n = 300) against the exact
/// Hessian X~^T X~ / n. Tolerances: the finite-difference products are exact on a quadratic up
/// to rounding (h = 1e-3, ~1e-10 relative); Hutchinson's 95 % interval must contain the exact
/// trace, and its standard error must match sqrt(2(|H|_F^2 - sum H_ii^2)/m) within 30 % (m =
/// 200: the SE of a sample SD is ~5 %).
#[test]
fn estimators_are_exact_on_linear_regression() {
    let task = Linear::new(300, 6, 11);
    let device = device();
    let loaded = task.load(&device);
    let model = task.init(&device);
    let h = task.hessian();
    let exact = sorted_eigenvalues(h.clone());
    let (tr, top) = (h.trace(), exact[6]);

    let settings = Settings { probes: 200, h: 1e-3, lanczos_steps: 7, slq_steps: 7, seed: 5, ..Settings::default() };
    let c = curvature::measure(&task, &model, &loaded, &settings, 1.0).unwrap();
    assert_eq!((c.params, c.rows), (7, 300));
    let [lo, hi] = c.trace_ci95.unwrap();
    assert!(lo <= tr && tr <= hi, "trace {tr} outside [{lo}, {hi}]");
    let off_diag = h.norm_squared() - h.diagonal().norm_squared();
    let sigma = (2.0 * off_diag / 200.0).sqrt();
    assert!((c.trace.std_error / sigma - 1.0).abs() < 0.3, "SE {} vs {sigma}", c.trace.std_error);
    assert!((c.power.value - top).abs() <= 1e-6 * top, "power {} vs {top}", c.power.value);
    // A full Lanczos run (7 steps, dimension 7) gives every eigenvalue.
    for ((v, _), e) in c.top.iter().zip(exact.iter().rev()) {
        assert!((v - e).abs() <= 1e-7 * top, "Ritz {v} vs {e}");
    }
    // SLQ's trace is Hutchinson's with its 4 probes: within 4 sigma.
    assert!((c.density.trace() - tr).abs() <= 4.0 * (2.0 * off_diag / 4.0).sqrt());
    // Gauss–Newton = Hessian for a linear model.
    assert!((c.gauss_newton.trace - tr).abs() <= 1e-9 * tr && (c.gauss_newton.lambda_max - top).abs() <= 1e-9 * top);
    let prediction = c.hessian_prediction.unwrap();
    assert!((prediction.b_sgd - tr / top).abs() <= 0.1 * tr / top);
    assert!(prediction.b_sgd_ci[0] <= tr / top && tr / top <= prediction.b_sgd_ci[1]);
}

/// Per-example gradients r_i x~_i of linear regression give G, tr(Sigma) and B_simple by hand;
/// the Gauss–Newton spectrum is that of X~^T X~ / n, the modes carry the loss, and the mass
/// outside the Jacobian's range is the least-squares loss.
#[test]
fn noise_scale_and_gauss_newton_match_closed_forms() {
    let task = Linear::new(120, 4, 2);
    let device = device();
    let loaded = task.load(&device);
    let model = task.init(&device);
    let jacobian = Jacobian::new(&task, &model, &loaded, None).unwrap();
    let x = task.design();
    let y = DVector::from_column_slice(&task.data.train.y);
    let r = &x * task.w() - &y;
    let n = 120.0;
    for (a, b) in jacobian.residuals.iter().zip(r.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
    let g = DMatrix::from_fn(120, 5, |i, j| r[i] * x[(i, j)]);
    let mean = g.row_mean();
    let trace_sigma = (0..120).map(|i| (g.row(i) - &mean).norm_squared()).sum::<f64>() / n;
    let noise = NoiseScale::new(&jacobian, 400, &mut rng(0, Stream::Probes)).unwrap();
    assert!((noise.trace_sigma - trace_sigma).abs() <= 1e-10 * trace_sigma);
    assert!((noise.grad_norm_sq - mean.norm_squared()).abs() <= 1e-10 * mean.norm_squared());
    let b = trace_sigma / mean.norm_squared();
    assert!((noise.b_simple - b).abs() <= 1e-10 * b);
    assert!(noise.resolved && noise.ci95[0] < b && b < noise.ci95[1], "{b} outside {:?}", noise.ci95);

    let gn = GaussNewton::new(&jacobian);
    for ((lambda, _), e) in gn.modes.iter().zip(sorted_eigenvalues(task.hessian())) {
        assert!((lambda - e).abs() <= 1e-10 * e.abs().max(1.0), "{lambda} vs {e}");
    }
    let loss = r.norm_squared() / (2.0 * n);
    let w_star = x.clone().svd(true, true).solve(&y, 1e-12).unwrap();
    let least_squares = (&x * w_star - &y).norm_squared() / (2.0 * n);
    assert!((gn.loss - loss).abs() < 1e-12 * loss);
    assert!((gn.unreachable - least_squares).abs() <= 1e-9 * loss, "{} vs {least_squares}", gn.unreachable);
}

/// mu_eff = L / (2 T_lin) from the linearised time to the target, on a hand-made spectrum: a
/// single mode lambda = L with mass 1 is gone after one step at 1/L; modes (1, 1) and (0.01,
/// 1) with rho_perp = 0.1 reach 0.2 when (0.99)^(2t) = 0.1.
#[test]
fn mu_eff_comes_from_the_linearised_time_to_the_target() {
    let one = GaussNewton { modes: vec![(2.0, 1.0)], unreachable: 0.0, loss: 1.0 };
    assert!(one.linear_time(0.5).unwrap() <= 1e-12 + 1.0 && one.linear_loss(1.0) == 0.0);
    let two = GaussNewton { modes: vec![(0.01, 1.0), (1.0, 1.0)], unreachable: 0.1, loss: 2.1 };
    let t = 0.1f64.ln() / (2.0 * 0.99f64.ln());
    assert!((two.linear_time(0.2).unwrap() - t).abs() < 1e-9 * t);
    assert!((two.mu_eff(0.2).unwrap() - 1.0 / (2.0 * t)).abs() < 1e-9);
    assert_eq!(two.linear_time(0.1), None); // rho_perp = target: never strictly below
    assert_eq!(two.linear_time(5.0), Some(0.0));
    assert_eq!(two.mu_eff(5.0), None);
    assert_eq!(
        two.effective(0.2).unwrap(),
        vec![0.01, 1.0].into_iter().filter(|&l| l >= 1.0 / (2.0 * t)).collect::<Vec<_>>()
    );
}

/// The sweep's time to target is the step count of the Burn run: on linear regression with the
/// full batch and step 1/L, gradient descent is exactly the linearised dynamics, so T is the
/// first geometric checkpoint (1, 2, ..., max(t + 1, ceil(1.05 t))) at or after ceil(T_lin).
#[test]
fn full_batch_time_is_the_linearised_time_on_linear_regression() {
    let task = Linear::new(64, 3, 4);
    let device = device();
    let loaded = task.load(&device);
    let gn = GaussNewton::new(&Jacobian::new(&task, &task.init(&device), &loaded, None).unwrap());
    let target = gn.unreachable + 0.01 * (gn.loss - gn.unreachable);
    let steps = gn.linear_time(target).unwrap().ceil() as usize;
    let mut check = 1;
    while check < steps {
        check = (check + 1).max((check as f64 * 1.05).ceil() as usize);
    }
    let grid = nn::critical::BatchGrid {
        batches: vec![64],
        arms: vec![nn::critical::Arm { label: "sgd".into(), momentum: vec![0.0] }],
        lambda_max: gn.lambda_max(),
        trace: gn.trace(),
        floor: 1.0,
        seeds: vec![0],
        target,
        budget: 100_000,
        cap: 2.0,
    };
    let sweep = nn::critical::run(&task, Backend::Flex, Precision::F64, &grid, &|| {}).unwrap();
    let at = sweep.cells[0].points.iter().find(|p| (p.lr * gn.lambda_max() - 1.0).abs() < 1e-12).unwrap();
    assert_eq!(at.times, vec![Some(check)], "T_lin = {steps}");
}
