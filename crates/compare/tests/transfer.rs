//! C10's critical batch: the hyperbola T(B) = T_inf (1 + B*/B) fitted in log T.

use compare::claims::c10_batch_transfer::hyperbola;

/// Exact data give back B* and T_inf; multiplicative noise of ±5 % moves B* by far less than
/// the factor 3 of the claim's tolerance; fewer than three points give nothing.
#[test]
fn the_hyperbola_fit_recovers_the_critical_batch() {
    let batches: Vec<f64> = (0..11).map(|k| 2f64.powi(k)).collect();
    for (b_star, t_inf) in [(15.0, 90.0), (1.5, 40.0), (300.0, 10.0)] {
        let exact: Vec<(f64, f64)> = batches.iter().map(|&b| (b, t_inf * (1.0 + b_star / b))).collect();
        let (b, t) = hyperbola(&exact).unwrap();
        assert!((b / b_star - 1.0).abs() < 1e-6 && (t / t_inf - 1.0).abs() < 1e-6, "{b} {t}");
        let noisy: Vec<(f64, f64)> =
            exact.iter().enumerate().map(|(i, &(b, t))| (b, t * if i % 2 == 0 { 1.05 } else { 0.95 })).collect();
        let (b, _) = hyperbola(&noisy).unwrap();
        assert!((b / b_star).ln().abs() < 0.3f64.ln().abs() / 3.0, "{b} vs {b_star}");
    }
    assert!(hyperbola(&[(1.0, 10.0), (2.0, 6.0)]).is_none());
}
