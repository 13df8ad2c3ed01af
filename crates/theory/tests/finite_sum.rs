//! The finite-sum batch moment E[H_B^T H_B] (`FiniteSum::gram`) against exact enumeration of
//! every batch, with and without replacement, for Kaczmarz (symmetric atoms) and coordinate
//! descent (non-symmetric atoms u_k v_k^T).

use nalgebra::DMatrix;
use theory::Spectrum;
use theory::finite_sum::{FiniteSum, Sampling};

/// E[H_B^T H_B] by listing every batch with its probability.
fn enumerated(sum: &FiniteSum, batch: usize, sampling: Sampling) -> DMatrix<f64> {
    let (n, d) = (sum.len(), sum.dim());
    let atom = |k: usize| {
        let (u, v) = sum.atom(k);
        DMatrix::from_column_slice(d, 1, u) * DMatrix::from_column_slice(d, 1, v).transpose()
    };
    let mut total = DMatrix::<f64>::zeros(d, d);
    let mut add = |ks: &[usize], weights: &[f64], prob: f64| {
        let h: DMatrix<f64> = ks.iter().zip(weights).map(|(&k, w)| atom(k) * *w).sum::<DMatrix<f64>>() / batch as f64;
        total += h.transpose() * &h * prob;
    };
    let p = sum.probabilities();
    match sampling {
        Sampling::WithReplacement => {
            for code in 0..n.pow(batch as u32) {
                let ks: Vec<usize> = (0..batch).map(|i| code / n.pow(i as u32) % n).collect();
                add(&ks, &vec![1.0; batch], ks.iter().map(|&k| p[k]).product());
            }
        }
        Sampling::WithoutReplacement => {
            let subsets: Vec<Vec<usize>> = (0..1usize << n)
                .filter(|m| m.count_ones() as usize == batch)
                .map(|m| (0..n).filter(|k| m >> k & 1 == 1).collect())
                .collect();
            for ks in &subsets {
                let weights: Vec<f64> = ks.iter().map(|&k| n as f64 * p[k]).collect();
                add(ks, &weights, 1.0 / subsets.len() as f64);
            }
        }
    }
    total
}

#[test]
fn gram_equals_enumeration_over_all_batches() {
    let spectrum: Spectrum = "uniform:d=3,lo=0.3,hi=1".parse().unwrap();
    let kaczmarz = FiniteSum::kaczmarz(&FiniteSum::random_system(5, &spectrum, 1).unwrap()).unwrap();
    let cd = FiniteSum::coordinate_descent(&FiniteSum::random_psd(&spectrum, 2)).unwrap();
    for sum in [&kaczmarz, &cd] {
        for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
            for batch in 1..=3 {
                let exact = enumerated(sum, batch, sampling);
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
