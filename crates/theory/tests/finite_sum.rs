//! The finite-sum batch moment E[H_B^T H_B] (`FiniteSum::gram`) against exact enumeration of
//! every batch, with and without replacement, for Kaczmarz (symmetric atoms) and coordinate
//! descent (non-symmetric atoms u_k v_k^T), and the exact recursion's E[loss_t] against the
//! second moment iterated over the same enumeration.

use nalgebra::DMatrix;
use theory::finite_sum::{FiniteSum, Sampling};
use theory::{Method, Spectrum, Template};

/// Every batch's H_B = (1/B) sum_k w_k u_k v_k^T with its probability.
fn enumerated(sum: &FiniteSum, batch: usize, sampling: Sampling) -> Vec<(DMatrix<f64>, f64)> {
    let (n, d) = (sum.len(), sum.dim());
    let atom = |k: usize| {
        let (u, v) = sum.atom(k);
        DMatrix::from_column_slice(d, 1, u) * DMatrix::from_column_slice(d, 1, v).transpose()
    };
    let h_b = |ks: &[usize], weights: &[f64]| {
        ks.iter().zip(weights).map(|(&k, w)| atom(k) * *w).sum::<DMatrix<f64>>() / batch as f64
    };
    let p = sum.probabilities();
    match sampling {
        Sampling::WithReplacement => (0..n.pow(batch as u32))
            .map(|code| {
                let ks: Vec<usize> = (0..batch).map(|i| code / n.pow(i as u32) % n).collect();
                (h_b(&ks, &vec![1.0; batch]), ks.iter().map(|&k| p[k]).product())
            })
            .collect(),
        Sampling::WithoutReplacement => {
            let subsets: Vec<Vec<usize>> = (0..1usize << n)
                .filter(|m| m.count_ones() as usize == batch)
                .map(|m| (0..n).filter(|k| m >> k & 1 == 1).collect())
                .collect();
            let prob = 1.0 / subsets.len() as f64;
            subsets.iter().map(|ks| (h_b(ks, &ks.iter().map(|&k| n as f64 * p[k]).collect::<Vec<_>>()), prob)).collect()
        }
    }
}

/// A Kaczmarz system (symmetric atoms) and a coordinate-descent one (u_k v_k^T, u != v), d = 3.
fn small_sums() -> [FiniteSum; 2] {
    let spectrum: Spectrum = "uniform:d=3,lo=0.3,hi=1".parse().unwrap();
    [
        FiniteSum::kaczmarz(&FiniteSum::random_system(5, &spectrum, 1).unwrap()).unwrap(),
        FiniteSum::coordinate_descent(&FiniteSum::random_psd(&spectrum, 2)).unwrap(),
    ]
}

/// The exact recursion (run in the eigenbasis of H) against the 2d x 2d second moment iterated
/// in the problem's own coordinates with the expectation taken by listing every batch:
/// Sigma' = sum_batches prob T_B Sigma T_B^T, T_B = M (x) I - (c a^T) (x) H_B, from a correlated
/// start, for every family's template, both samplings and B = 1, 2.
#[test]
fn the_exact_recursion_equals_enumeration_over_all_batches() {
    let methods = [
        Method::Sgd { lr: 0.9 },
        Method::Hb { lr: 0.6, momentum: 0.5 },
        Method::Nag { lr: 0.5, momentum: 0.6 },
        Method::Asgd { lr: 0.7, long_step: 4.0, xi: 1.5 },
    ];
    for sum in small_sums() {
        let d = sum.dim();
        let root = DMatrix::from_fn(2 * d, 2 * d, |i, j| ((i * 7 + j * 3) % 5) as f64 / 5.0 - 0.3);
        let sigma0 = &root * root.transpose() / d as f64;
        for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
            for batch in 1..=2 {
                let draws = enumerated(&sum, batch, sampling);
                for method in methods {
                    let Template { m, c, a } = method.template();
                    let steps = 30;
                    let fast = sum.loss_curve(&method, batch, sampling, &sigma0, steps).unwrap();
                    let mut sigma = sigma0.clone();
                    for (t, fast) in fast.iter().enumerate() {
                        let loss = 0.5 * sum.loss_matrix().tr_dot(&sigma.view((0, 0), (d, d)));
                        assert!(
                            (fast - loss).abs() <= 1e-12 * loss,
                            "{method:?} {sampling:?} B={batch} t={t}: {fast} vs {loss}"
                        );
                        let step = |h: &DMatrix<f64>| {
                            DMatrix::from_fn(2 * d, 2 * d, |r, col| {
                                let (i, j) = (r / d, col / d);
                                let identity = if r % d == col % d { m[i][j] } else { 0.0 };
                                identity - c[i] * a[j] * h[(r % d, col % d)]
                            })
                        };
                        sigma = draws.iter().map(|(h, prob)| step(h) * &sigma * step(h).transpose() * *prob).sum();
                    }
                }
            }
        }
    }
}

#[test]
fn gram_equals_enumeration_over_all_batches() {
    for sum in &small_sums() {
        for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
            for batch in 1..=3 {
                let exact: DMatrix<f64> =
                    enumerated(sum, batch, sampling).iter().map(|(h, prob)| h.transpose() * h * *prob).sum();
                let got = sum.gram(batch, sampling);
                assert!((&got - &exact).amax() < 1e-12 * exact.amax(), "{sampling:?} B={batch}: {got} vs {exact}");
            }
        }
    }
}

/// T(eps) of the exact recursion equals the first crossing of its loss curve, and the tuner's
/// T(eps) is no worse than a dense grid search over the same family (Kaczmarz, d = 8, n = 32).
#[test]
fn finite_sum_tuning_matches_brute_force() {
    use theory::finite_sum::isotropic_start;
    use theory::{Family, Hitting, Method, Target, tune_finite_sum};
    let spectrum: Spectrum = "power:d=8,a=2".parse().unwrap();
    let sum = FiniteSum::kaczmarz(&FiniteSum::random_system(32, &spectrum, 3).unwrap()).unwrap();
    let (start, target) = (isotropic_start(8), Target { eps: 1e-4, max_steps: 20_000 });
    let sampling = Sampling::WithReplacement;
    let t = |m: &Method, b: usize| sum.iterations_to_target(m, b, sampling, &start, target).unwrap().reached();
    // Against the loss curve.
    let hb = Method::Hb { lr: 0.5, momentum: 0.6 };
    let curve = sum.loss_curve(&hb, 2, sampling, &start, 2000).unwrap();
    let first = curve.iter().position(|l| *l <= 1e-4 * curve[0]).unwrap();
    assert_eq!(t(&hb, 2), Some(first));
    let far = Target { eps: 1e-300, max_steps: 10 };
    assert!(matches!(sum.iterations_to_target(&hb, 2, sampling, &start, far).unwrap(), Hitting::NotReached { .. }));
    let wild = Method::Sgd { lr: 50.0 };
    assert!(matches!(sum.iterations_to_target(&wild, 1, sampling, &start, target).unwrap(), Hitting::Diverged(_)));
    // Against a grid: SGD over 400 step sizes, HB over 50 x 50 (momentum, step) pairs; grid
    // points slower than 2000 steps are not candidates (the optimum is well below).
    let short = Target { eps: 1e-4, max_steps: 2000 };
    let t_grid = |m: &Method, b: usize| sum.iterations_to_target(m, b, sampling, &start, short).unwrap().reached();
    let l = sum.spectrum().unwrap().lambda_max();
    let grid = |n: usize, lo: f64, hi: f64| (0..n).map(move |i| lo + (hi - lo) * i as f64 / (n - 1) as f64);
    for b in [1, 8] {
        let sgd_best =
            grid(400, -6.0, 0.0).filter_map(|v| t_grid(&Method::Sgd { lr: 2.0 / l * v.exp() }, b)).min().unwrap();
        let tuned = tune_finite_sum(&sum, Family::Sgd, b, sampling, target).unwrap();
        assert_eq!(tuned.iterations, t(&tuned.method, b));
        assert!(tuned.iterations.unwrap() as f64 <= 1.01 * sgd_best as f64, "SGD B={b}: {tuned:?} vs {sgd_best}");
        let hb_best = grid(50, -6.0, 0.0)
            .flat_map(|u| grid(50, -6.0, 0.0).map(move |v| (u, v)))
            .filter_map(|(u, v)| {
                let momentum = 1.0 - u.exp();
                t_grid(&Method::Hb { lr: 2.0 * (1.0 + momentum) / l * v.exp(), momentum }, b)
            })
            .min()
            .unwrap();
        let tuned = tune_finite_sum(&sum, Family::Hb, b, sampling, target).unwrap();
        assert!(tuned.iterations.unwrap() as f64 <= 1.01 * hb_best as f64, "HB B={b}: {tuned:?} vs {hb_best}");
    }
    assert!(tune_finite_sum(&sum, Family::Sgd, 40, Sampling::WithoutReplacement, target).is_err());
}
