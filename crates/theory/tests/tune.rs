//! Tuning (tune.rs) against brute force, the phase diagram against the sanity numbers of
//! docs/theory.md §5, the saturation batch, and the target objective.

use theory::phase::saturation_batch;
use theory::{Assessment, Family, Method, Objective, PhaseOptions, Spectrum, Target, phase, rate, tune};

/// The smallest rate on a log grid of the same search box, as the brute-force reference.
fn grid_best(s: &Spectrum, family: Family, b: f64) -> f64 {
    let l = s.lambda_max();
    let ln_grid = |n: usize, lo: f64, hi: f64| (0..n).map(move |i| lo + (hi - lo) * i as f64 / (n - 1) as f64);
    let mut best = f64::INFINITY;
    let mut consider = |m: Method| best = best.min(rate(s, &m, b).rho);
    match family {
        Family::Sgd => ln_grid(400, -12.0, 0.0).for_each(|v| consider(Method::Sgd { lr: 2.0 / l * v.exp() })),
        Family::Hb | Family::Nag => {
            for u in ln_grid(80, -10.0, 0.0) {
                let beta = 1.0 - u.exp();
                for v in ln_grid(80, -10.0, 0.0) {
                    consider(if family == Family::Hb {
                        Method::Hb { lr: 2.0 * (1.0 + beta) / l * v.exp(), momentum: beta }
                    } else {
                        Method::Nag { lr: 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * l) * v.exp(), momentum: beta }
                    })
                }
            }
        }
        Family::Asgd => {
            let top = (100.0 * s.kappa()).ln();
            for u in ln_grid(25, -10.0, 0.0) {
                for w in ln_grid(25, 0.0, top) {
                    for v in ln_grid(25, -10.0, 0.0) {
                        let long_step = w.exp();
                        consider(Method::Asgd { lr: 2.0 / l * v.exp(), long_step, xi: u.exp() * long_step / 0.49 });
                    }
                }
            }
        }
        Family::Sp => unreachable!(),
    }
    best
}

#[test]
fn nested_brent_is_at_least_as_good_as_a_dense_grid() {
    let s: Spectrum = "power:d=30,a=1.5".parse().unwrap();
    for family in [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd] {
        for b in [1.0, 8.0, 256.0] {
            let tuned = tune(&s, family, b, Objective::Rate, Target::default()).unwrap();
            let grid = grid_best(&s, family, b);
            // Compare iterations per e-fold: the tuned point may not be worse than the grid's
            // best by more than 0.1 %.
            let (t_tuned, t_grid) = (-1.0 / tuned.rate.rho.ln(), -1.0 / grid.ln());
            assert!(t_tuned <= t_grid * 1.001, "{family} B={b}: tuned {t_tuned} vs grid {t_grid}");
            assert!(!tuned.rate.diverged());
        }
    }
}

#[test]
fn phase_reproduces_the_theory_sanity_numbers() {
    // docs/theory.md §5: d = 100, l_i = 1/i, iterations per e-fold, tuned per B.
    let s: Spectrum = "power:d=100,a=1".parse().unwrap();
    let batches = [1.0, 4.0, 16.0, 64.0, 256.0];
    let expected = [(Family::Sgd, [224.0, 64.0, 30.0, 26.0, 25.0]), (Family::Hb, [219.0, 57.0, 16.3, 6.3, 3.7])];
    let p = phase(&s, &[Family::Sgd, Family::Hb], &batches, PhaseOptions::default()).unwrap();
    for (family, numbers) in expected {
        let rows: Vec<_> = p.rows.iter().filter(|r| r.family == family).collect();
        for (row, want) in rows.iter().zip(numbers) {
            let got = row.assessment.efold.unwrap();
            assert!((got / want - 1.0).abs() <= 0.02, "{family} B={}: {got} vs {want}", row.batch);
        }
    }
    // Compute B T(B) and CE: SGD's saturates near B_sgd = 5.19, HB's later.
    let sat = |f: Family| p.saturation.iter().find(|x| x.family == f).unwrap().batch.unwrap();
    assert!(sat(Family::Hb) > 2.0 * sat(Family::Sgd), "{:?}", p.saturation);
}

#[test]
fn phase_is_independent_of_the_thread_count() {
    let s: Spectrum = "power:d=60,a=1".parse().unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| phase(&s, &[Family::Sgd, Family::Hb], &[1.0, 2.0, 8.0, 32.0], PhaseOptions::default()).unwrap())
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn saturation_batch_interpolates_the_doubling() {
    // B T(B) = 10, 10, 15, 40 at B = 1, 2, 4, 8: doubling (20) between 4 and 8, in log-log.
    let b = saturation_batch(&[1.0, 2.0, 4.0, 8.0], &[10.0, 10.0, 15.0, 40.0]).unwrap();
    let expected = (4f64.ln() + (20f64.ln() - 15f64.ln()) / (40f64.ln() - 15f64.ln()) * 2f64.ln()).exp();
    assert!((b - expected).abs() < 1e-12);
    assert_eq!(saturation_batch(&[1.0, 2.0], &[10.0, 12.0]), None);
    assert_eq!(saturation_batch(&[1.0, 2.0], &[10.0, f64::INFINITY]), Some(2.0));
}

#[test]
fn target_objective_never_loses_to_the_rate_optimum() {
    let s: Spectrum = "power:d=50,a=1".parse().unwrap();
    let target = Target { eps: 1e-4, max_steps: 200_000 };
    for family in [Family::Sgd, Family::Hb] {
        for b in [1.0, 16.0] {
            let by_rate = tune(&s, family, b, Objective::Rate, target).unwrap();
            let by_target = tune(&s, family, b, Objective::Target, target).unwrap();
            let t = |m: &Method| Assessment::new(&s, m, b, target, true).iterations_to_target.unwrap();
            assert!(t(&by_target.method) <= t(&by_rate.method), "{family} B={b}");
            assert!(!by_target.rate.diverged());
        }
    }
}

#[test]
fn bad_phase_input() {
    let s: Spectrum = "power:d=10,a=1".parse().unwrap();
    let o = PhaseOptions::default();
    assert!(phase(&s, &[Family::Sgd], &[], o).is_err());
    assert!(phase(&s, &[Family::Sgd], &[0.0, 1.0], o).is_err());
    assert!(phase(&s, &[Family::Sgd], &[4.0, 2.0], o).is_err());
    assert!(tune(&s, Family::Sp, 1.0, Objective::Rate, Target::default()).is_err());
}

/// Tuned T(B) is non-increasing in B for every method (docs/theory.md §5: at fixed parameters
/// E[loss_t] never grows with B, and each batch is warm-started from its neighbour's optimum).
#[test]
fn tuned_iterations_never_rise_with_the_batch() {
    let target = PhaseOptions { objective: Objective::Target, ..PhaseOptions::default() };
    let batches: Vec<f64> = (0..=10).map(|k| 2f64.powi(k)).collect();
    for spec in ["power:d=40,a=2", "power:d=60,a=0.5", "cluster:d=50,lo=0.01,hi=1,frac=0.2"] {
        let s: Spectrum = spec.parse().unwrap();
        let families = [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd];
        let p = phase(&s, &families, &batches, target).unwrap();
        for family in families {
            let t: Vec<f64> = p.rows.iter().filter(|r| r.family == family).map(|r| r.iterations.unwrap()).collect();
            assert!(t.windows(2).all(|w| w[1] <= w[0]), "{spec} {family}: {t:?}");
        }
    }
}

#[test]
fn tuned_finite_sum_iterations_never_rise_with_the_batch() {
    use theory::finite_sum::{FiniteSum, Sampling};
    let s: Spectrum = "power:d=8,a=1.5".parse().unwrap();
    let sum = FiniteSum::kaczmarz(&FiniteSum::random_system(32, &s, 3).unwrap()).unwrap();
    let target = Target { eps: 1e-4, max_steps: 100_000 };
    for family in [Family::Sgd, Family::Hb] {
        for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
            let tuned =
                theory::tune_finite_sum_along(&sum, family, &[1, 2, 4, 8, 16], sampling, target, &|| {}).unwrap();
            let t: Vec<usize> = tuned.iter().map(|x| x.iterations.unwrap()).collect();
            assert!(t.windows(2).all(|w| w[1] <= w[0]), "{family} {sampling:?}: {t:?}");
        }
    }
}
