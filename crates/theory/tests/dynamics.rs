//! The O(d) recursion (dynamics.rs) against a dense 2d x 2d second-moment iteration, the Gaussian
//! fourth-moment identity against Monte Carlo, and T(eps) against its closed form for d = 1.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use theory::{GaussianDynamics, Hitting, Method, Moments, Run, Spectrum, dense, rate};

fn methods() -> Vec<Method> {
    vec![
        Method::Sgd { lr: 0.7 },
        Method::Hb { lr: 0.4, momentum: 0.6 },
        Method::Nag { lr: 0.3, momentum: 0.8 },
        Method::Asgd { lr: 0.3, long_step: 30.0, xi: 4.0 },
        Method::Sp { lr: 0.5, alpha: 0.2, beta: 0.9, gamma: 3.0 },
    ]
}

#[test]
fn recursion_equals_dense_second_moment_iteration_from_a_correlated_start() {
    let s: Spectrum = "power:d=4,a=1.3".parse().unwrap();
    let d = s.d();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
    let g = DMatrix::<f64>::from_fn(2 * d, 2 * d, |_, _| {
        let z: f64 = StandardNormal.sample(&mut rng);
        z
    });
    let sigma0 = &g * g.transpose() / (2 * d) as f64; // full, correlated across coordinates
    let blocks: Vec<[f64; 3]> = (0..d).map(|i| [sigma0[(i, i)], sigma0[(i, d + i)], sigma0[(d + i, d + i)]]).collect();
    for m in methods() {
        for b in [1.0, 3.0, 50.0, f64::INFINITY] {
            let reference = dense::loss_curve(&s, &m, b, &sigma0, 40);
            let fast = GaussianDynamics::new(&s, &m, b).loss_curve(Moments::from_blocks(&blocks), 40);
            assert_eq!(fast.len(), reference.len());
            for (t, (x, y)) in fast.iter().zip(&reference).enumerate() {
                assert!((x - y).abs() <= 1e-10 * y.abs(), "{m:?} B={b} t={t}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn gaussian_fourth_moment_matches_monte_carlo() {
    // E[H_B P H_B] = H P H + (H P H + tr(H P) H) / B for x ~ N(0, H), H_B = (1/B) sum x x^T.
    let h = DVector::from_vec(vec![1.0, 0.5, 0.2]);
    let sqrt_h = h.map(f64::sqrt);
    let p = DMatrix::from_row_slice(3, 3, &[1.0, 0.3, -0.2, 0.3, 0.8, 0.1, -0.2, 0.1, 0.5]);
    let hm = DMatrix::from_diagonal(&h);
    let batch = 2usize;
    let hph = &hm * &p * &hm;
    let expected = &hph + (&hph + &hm * (&hm * &p).trace()) / batch as f64;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
    let n = 200_000;
    let (mut sum, mut sum_sq) = (DMatrix::<f64>::zeros(3, 3), DMatrix::<f64>::zeros(3, 3));
    for _ in 0..n {
        let mut hb = DMatrix::<f64>::zeros(3, 3);
        let scale = 1.0 / batch as f64;
        for _ in 0..batch {
            let x = DVector::<f64>::from_fn(3, |i, _| {
                let z: f64 = StandardNormal.sample(&mut rng);
                sqrt_h[i] * z
            });
            hb += (&x * x.transpose()) * scale;
        }
        let sample = &hb * &p * &hb;
        sum_sq += sample.component_mul(&sample);
        sum += sample;
    }
    let mean = &sum / n as f64;
    for i in 0..3 {
        for j in 0..3 {
            let var = sum_sq[(i, j)] / n as f64 - mean[(i, j)].powi(2);
            let se = (var / n as f64).sqrt();
            let z = (mean[(i, j)] - expected[(i, j)]) / se;
            assert!(z.abs() < 4.5, "entry ({i},{j}): MC {} vs formula {} ({z:.2} SE)", mean[(i, j)], expected[(i, j)]);
        }
    }
}

#[test]
fn single_eigenvalue_sgd_curve_is_geometric_with_the_rate() {
    // d = 1: E[loss_t] = rho^t E[loss_0] exactly, rho = (1 - lr l)^2 + 2 lr^2 l^2 / B.
    let s = Spectrum::new(vec![0.8]).unwrap();
    let (lr, b) = (0.5, 4.0);
    let m = Method::Sgd { lr };
    let rho: f64 = (1.0 - lr * 0.8f64).powi(2) + 2.0 * lr * lr * 0.64 / b;
    assert!((rate(&s, &m, b).rho - rho).abs() < 1e-15);
    let dynamics = GaussianDynamics::new(&s, &m, b);
    let curve = dynamics.loss_curve(Moments::isotropic(1), 10);
    for (t, l) in curve.iter().enumerate() {
        assert!((l / curve[0] - rho.powi(t as i32)).abs() < 1e-13);
    }
    let eps: f64 = 1e-4;
    let expected = (eps.ln() / rho.ln()).ceil() as usize;
    assert_eq!(dynamics.iterations_to_target(Moments::isotropic(1), eps, 10_000), Hitting::Reached(expected));
    assert_eq!(
        dynamics.iterations_to_target(Moments::isotropic(1), eps, expected - 1),
        Hitting::NotReached { excess: rho.powi(expected as i32 - 1) / eps }
    );
}

#[test]
fn zero_momentum_curves_equal_sgd() {
    let s: Spectrum = "power:d=20,a=1".parse().unwrap();
    let sgd = GaussianDynamics::new(&s, &Method::Sgd { lr: 0.3 }, 2.0).loss_curve(Moments::isotropic(20), 100);
    for m in [Method::Hb { lr: 0.3, momentum: 0.0 }, Method::Nag { lr: 0.3, momentum: 0.0 }] {
        assert_eq!(GaussianDynamics::new(&s, &m, 2.0).loss_curve(Moments::isotropic(20), 100), sgd);
    }
}

#[test]
fn divergent_curve_stops_and_is_flagged() {
    let s: Spectrum = "power:d=10,a=1".parse().unwrap();
    let dynamics = GaussianDynamics::new(&s, &Method::Hb { lr: 3.9, momentum: 0.9 }, 1.0);
    assert!(matches!(dynamics.iterations_to_target(Moments::isotropic(10), 1e-4, 1_000_000), Hitting::Diverged(_)));
    let curve = dynamics.loss_curve(Moments::isotropic(10), 1_000_000);
    assert!(curve.len() < 1_000_000 && curve.last().unwrap() > &(1e100 * curve[0]));
}

#[test]
fn exact_and_asymptotic_iteration_counts_differ_on_a_power_law() {
    // docs/theory.md §4: report both. With the rate-tuned SGD on a power law the exact curve reaches
    // 1e-4 sooner than ln(1e4) e-folds (the slow directions start with little loss).
    let s: Spectrum = "power:d=100,a=1".parse().unwrap();
    let m = Method::Sgd { lr: 0.25 };
    let exact = GaussianDynamics::new(&s, &m, 1.0).iterations_to_target(Moments::isotropic(100), 1e-4, 1_000_000);
    let asymptotic = rate(&s, &m, 1.0).iterations(1e-4).unwrap();
    let exact = exact.reached().unwrap() as f64;
    assert!(exact < 0.95 * asymptotic, "exact {exact} asymptotic {asymptotic}");
}

#[test]
fn power_iteration_rate_of_the_full_map_equals_the_secular_rate() {
    // The Gaussian problem through the generic 2d x 2d map: its power-iteration radius must be
    // the secular rate (the same operator, restricted to the PSD cone).
    let s: Spectrum = "uniform:d=5,lo=0.2,hi=1".parse().unwrap();
    let h = DMatrix::from_diagonal(&DVector::from_row_slice(s.eigenvalues()));
    for m in methods() {
        let b = 4.0;
        let fourth = |p: &DMatrix<f64>| {
            let hph = &h * p * &h;
            &hph + (&hph + &h * (&h * p).trace()) / b
        };
        let map = theory::second_moment::SecondMomentMap::new(&m.template(), s.eigenvalues(), fourth);
        let power = map.spectral_radius(1e-13);
        let secular = rate(&s, &m, b).rho;
        assert!((power / secular - 1.0).abs() < 1e-9, "{m:?}: power {power} secular {secular}");
    }
}

/// Merging equal eigenvalues (GaussianDynamics::isotropic) gives the same curve as one block per
/// coordinate, for a spectrum with 2 distinct values among 300 and one with none repeated.
#[test]
fn merged_equal_eigenvalues_give_the_same_curve() {
    for spec in ["cluster:d=300,lo=0.01,hi=1,frac=0.2", "power:d=40,a=1"] {
        let s: Spectrum = spec.parse().unwrap();
        for m in [Method::Sgd { lr: 0.4 }, Method::Hb { lr: 0.3, momentum: 0.7 }] {
            let full = GaussianDynamics::new(&s, &m, 3.0).loss_curve(Moments::isotropic(s.d()), 200);
            let (merged, start) = GaussianDynamics::isotropic(&s, &m, 3.0);
            let curve = merged.loss_curve(start, 200);
            assert_eq!(curve.len(), full.len());
            for (a, b) in curve.iter().zip(&full) {
                assert!((a - b).abs() <= 1e-12 * b, "{spec} {m:?}: {a} vs {b}");
            }
        }
    }
}

/// eps E[loss_0] from the isotropic start is eps tr(H) / (2d), the recursion's own loss at t = 0.
#[test]
fn the_isotropic_target_is_eps_times_the_initial_loss() {
    let s: theory::Spectrum = "power:d=30,a=1".parse().unwrap();
    let loss0 =
        theory::GaussianDynamics::new(&s, &theory::Method::Sgd { lr: 0.1 }, 4.0).loss(&theory::Moments::isotropic(30));
    let target = theory::dynamics::isotropic_target(&s, 1e-4);
    assert!((target / (1e-4 * loss0) - 1.0).abs() < 1e-14, "{target} vs {loss0}");
}

/// A run that switches method mid-way (the adaptive rule's) against the dense 2d x 2d
/// second-moment iteration doing the same switch, on a spectrum with repeated eigenvalues (the
/// run merges them): HB for 7 steps, then accelerated sketch-and-project for 20.
#[test]
fn a_run_that_switches_method_equals_the_dense_iteration() {
    let s: Spectrum = "cluster:d=6,lo=0.1,hi=1,frac=0.5".parse().unwrap();
    let d = s.d();
    let (first, second) =
        (Method::Hb { lr: 0.4, momentum: 0.6 }, Method::Sp { lr: 0.5, alpha: 0.2, beta: 0.9, gamma: 3.0 });
    let batch = 3.0;
    let h = DMatrix::from_diagonal(&DVector::from_row_slice(s.eigenvalues()));
    let fourth = |p: &DMatrix<f64>| {
        let hph = &h * p * &h;
        &hph + (&hph + &h * (&h * p).trace()) / batch
    };
    // z1 = z2 = w0 ~ N(0, I/d): every block of Sigma_0 is I/d.
    let mut sigma = DMatrix::<f64>::from_fn(2 * d, 2 * d, |i, j| if i % d == j % d { 1.0 / d as f64 } else { 0.0 });
    let loss = |sigma: &DMatrix<f64>| 0.5 * (&h * sigma.view((0, 0), (d, d))).trace();
    let mut run = Run::isotropic(&s, &first, batch);
    assert!((run.loss() - loss(&sigma)).abs() <= 1e-14);
    for (method, steps) in [(first, 7), (second, 20)] {
        run.switch(&method);
        let map = theory::second_moment::SecondMomentMap::new(&method.template(), s.eigenvalues(), fourth);
        for t in 0..steps {
            sigma = map.apply(&sigma);
            let (fast, reference) = (run.step(), loss(&sigma));
            assert!((fast - reference).abs() <= 1e-12 * reference, "{method:?} t={t}: {fast} vs {reference}");
        }
    }
}
