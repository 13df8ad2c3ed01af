//! C10's critical batch: the hyperbola T(B) = T_inf (1 + B*/B) fitted in log T, and its
//! verdict against a prediction on synthetic measurements.

use compare::claims::c10_batch_transfer::{Critical, hyperbola, transfer_check};
use compare::verdict::Verdict::{Fail, Inconclusive, Pass};

/// A measured critical batch with its bootstrap interval.
fn measured(b_star: f64, ci95: [f64; 2]) -> Critical {
    Critical { b_star, t_inf: 100.0, beyond_grid: false, ci95, crossing: None }
}

/// ln(B*/P) ± u against ±ln 3: a ratio of 2 with tight intervals passes, 4.4 fails, 2.7 with
/// a 20 % interval straddles ln 3 (inconclusive), and the prediction's own interval adds to u in
/// quadrature; B* beyond the grid or not measured is inconclusive.
#[test]
fn the_transfer_check_passes_fails_and_stays_inconclusive_within_its_interval() {
    let exact = [10.0, 10.0];
    let pass = transfer_check(Some(&measured(20.0, [19.0, 21.0])), 10.0, exact, 3.0);
    assert_eq!(pass.verdict, Pass);
    let expected_margin = (3f64.ln() - 2f64.ln()) / (20.0f64 / 19.0).ln();
    assert!((pass.margin.unwrap() - expected_margin).abs() < 1e-12, "{:?}", pass.margin);
    // The same measurement against a prediction 3x too small (and to either side).
    assert_eq!(transfer_check(Some(&measured(44.0, [40.0, 48.0])), 10.0, exact, 3.0).verdict, Fail);
    assert_eq!(transfer_check(Some(&measured(2.2, [2.0, 2.4])), 10.0, exact, 3.0).verdict, Fail);
    assert_eq!(transfer_check(Some(&measured(27.0, [22.0, 33.0])), 10.0, exact, 3.0).verdict, Inconclusive);
    // A wide interval of the prediction alone makes a clear pass inconclusive.
    let shaky = transfer_check(Some(&measured(20.0, [19.0, 21.0])), 10.0, [5.0, 20.0], 3.0);
    assert_eq!(shaky.verdict, Inconclusive);
    assert!((shaky.uncertainty - (20f64 / 19.0).ln().hypot(2f64.ln())).abs() < 1e-12);
    let beyond = Critical { beyond_grid: true, ..measured(20.0, [19.0, 21.0]) };
    assert_eq!(transfer_check(Some(&beyond), 10.0, exact, 3.0).verdict, Inconclusive);
    assert_eq!(transfer_check(None, 10.0, exact, 3.0).verdict, Inconclusive);
}

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
