//! The secular-equation rate (rate.rs) against independent computations: a dense eigen-solve of
//! the full second-moment operator, the one-state SGD secular equation, and the deterministic
//! heavy-ball optimum.

use proptest::prelude::*;
use theory::{Family, Method, Objective, Spectrum, Target, dense, rate, tune};

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        (0.01f64..3.0).prop_map(|lr| Method::Sgd { lr }),
        (0.01f64..4.0, 0.0f64..0.99).prop_map(|(lr, momentum)| Method::Hb { lr, momentum }),
        (0.01f64..3.0, 0.0f64..0.99).prop_map(|(lr, momentum)| Method::Nag { lr, momentum }),
        (0.01f64..2.0, 1.0f64..200.0, 0.001f64..1.0)
            .prop_map(|(lr, long_step, gap)| { Method::Asgd { lr, long_step, xi: gap * long_step / 0.49 } }),
        (0.01f64..2.0, 0.0f64..1.0, 0.0f64..0.99, 0.1f64..10.0).prop_map(|(lr, alpha, beta, gamma)| Method::Sp {
            lr,
            alpha,
            beta,
            gamma
        }),
    ]
}

fn spectrum() -> impl Strategy<Value = Spectrum> {
    prop::collection::vec(0.001f64..2.0, 1..6).prop_map(|v| Spectrum::new(v).unwrap())
}

fn batch() -> impl Strategy<Value = f64> {
    prop_oneof![(1u32..200).prop_map(f64::from), Just(f64::INFINITY)]
}

/// Relative agreement, with an absolute floor of 1e-12 for rates near 0 (where the dense
/// solve's backward error, about 1e-16 times the operator norm, dominates).
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-12
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn secular_rate_equals_dense_eigen_solve(s in spectrum(), m in method(), b in batch()) {
        let secular = rate(&s, &m, b).rho;
        let reference = dense::rate(&s, &m, b);
        prop_assert!(close(secular, reference, 1e-9), "secular {secular} dense {reference} for {m:?} B={b} on {:?}", s.eigenvalues());
    }

    #[test]
    fn zero_momentum_is_sgd(s in spectrum(), lr in 0.01f64..3.0, b in batch()) {
        let sgd = sgd_rate_one_state(s.eigenvalues(), lr, b);
        for m in [Method::Sgd { lr }, Method::Hb { lr, momentum: 0.0 }, Method::Nag { lr, momentum: 0.0 }] {
            let r = rate(&s, &m, b).rho;
            prop_assert!(close(r, sgd, 1e-10), "{m:?}: {r} vs one-state SGD {sgd}");
        }
    }
}

/// SGD as one state: E[e_i'^2] = D_i e_i + (lr^2 l_i / B) sum_j l_j e_j with
/// D_i = (1 - lr l_i)^2 + lr^2 l_i^2 / B. Its radius is max(max_i D_i, z*), where
/// 1 = (lr^2 / B) sum_i l_i^2 / (z* - D_i), found by bisection.
fn sgd_rate_one_state(l: &[f64], lr: f64, b: f64) -> f64 {
    let inv_b = if b.is_infinite() { 0.0 } else { 1.0 / b };
    let d: Vec<f64> = l.iter().map(|&x| (1.0 - lr * x).powi(2) + lr * lr * x * x * inv_b).collect();
    let top = d.iter().cloned().fold(0.0, f64::max);
    if inv_b == 0.0 {
        return top;
    }
    let f = |z: f64| lr * lr * inv_b * l.iter().zip(&d).map(|(x, di)| x * x / (z - di)).sum::<f64>();
    let (mut lo, mut hi) = (top, top + 1.0);
    while f(hi) > 1.0 {
        hi = top + 2.0 * (hi - top);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 1.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

#[test]
fn tuned_heavy_ball_at_infinite_batch_is_the_deterministic_optimum() {
    for spec in ["power:d=50,a=1", "uniform:d=30,lo=0.001,hi=1", "cluster:d=40,lo=0.01,hi=2,frac=0.25"] {
        let s: Spectrum = spec.parse().unwrap();
        let k = s.kappa().sqrt();
        let optimum = ((k - 1.0) / (k + 1.0)).powi(2);
        let tuned = tune(&s, Family::Hb, f64::INFINITY, Objective::Rate, Target::default()).unwrap();
        // Iterations per e-fold within 0.1 % of the optimum's.
        let (t_tuned, t_opt) = (-1.0 / tuned.rate.rho.ln(), -1.0 / optimum.ln());
        assert!((t_tuned / t_opt - 1.0).abs() < 1e-3, "{spec}: tuned {} vs optimum {optimum}", tuned.rate.rho);
        // The closed-form deterministic tuning attains it exactly.
        let rule = theory::predict::HbRule::deterministic(s.lambda_max(), s.lambda_min());
        let r = rate(&s, &rule.method(), f64::INFINITY).rho;
        assert!(close(r, optimum, 1e-7), "{spec}: rule rate {r} vs {optimum}");
        // A very large finite batch approaches it.
        let near = tune(&s, Family::Hb, 1e9, Objective::Rate, Target::default()).unwrap();
        assert!((-1.0 / near.rate.rho.ln() / t_opt - 1.0).abs() < 2e-3, "{spec}: B=1e9 rate {}", near.rate.rho);
    }
}

#[test]
fn divergence_is_reported() {
    let s: Spectrum = "power:d=10,a=1".parse().unwrap();
    let r = rate(&s, &Method::Hb { lr: 5.0, momentum: 0.5 }, 4.0);
    assert!(r.diverged() && r.rho > 1.0 && r.efold().is_none() && r.iterations(1e-4).is_none());
    let ok = rate(&s, &Method::Hb { lr: 0.5, momentum: 0.5 }, 4.0);
    assert!(!ok.diverged() && ok.efold().unwrap() > 0.0);
}
