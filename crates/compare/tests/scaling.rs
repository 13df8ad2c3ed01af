//! C9's optimum estimates on synthetic scans with known answers, and its verdict end to end on
//! the smoke profile.

use compare::claims::c9_momentum_scaling::{TaskResult, Tolerance, judge, optimum};
use compare::verdict::{LogLogFit, Verdict};
use nn::scan::{MomentumGrid, Point, Scan};

/// A point whose every seed took `t` steps (None: censored at `budget`).
fn point(lr: f64, om: f64, t: Option<usize>, budget: usize) -> Point {
    Point { lr, one_minus_beta: om, budget, times: vec![t; 3], diverged: 0 }
}

/// T = t0 max(1, (om/k0)^2) on the grid k0 * 1.5^j, j = -4..=5: a plateau, then a rise.
fn plateau_then_rise(lr: f64, t0: f64, k0: f64) -> Vec<Point> {
    (-4..=5)
        .map(|j| {
            let om = k0 * 1.5f64.powi(j);
            let t = t0 * (om / k0).powi(2).max(1.0);
            point(lr, om, Some(t.round() as usize), 100_000)
        })
        .collect()
}

#[test]
fn the_knee_of_a_plateau_then_a_power_rise_is_exact() {
    // From the corner k0 on, log T is linear in log(1 - beta): T = 1.25 t0 at k0 sqrt(1.25).
    let o = optimum(&plateau_then_rise(1e-3, 1e6, 0.01), 1.25).unwrap();
    let knee = o.knee.unwrap();
    assert!((knee / (0.01 * 1.25f64.sqrt()) - 1.0).abs() < 1e-6, "{knee}");
    assert!(o.min_at_edge && o.min_fit.is_none());
    assert!((o.t_min / 1e6 - 1.0).abs() < 1e-12 && o.at_min == 0.01 * 1.5f64.powi(-4));
    assert!((o.effective_lr.unwrap() - 1e-3 / knee).abs() < 1e-15);
}

#[test]
fn an_interior_minimum_gets_the_parabola_vertex_and_censored_points_bound_the_knee() {
    // log T = 5 + 2 (log om - log 0.003)^2 on a grid that does not contain 0.003.
    let grid: Vec<f64> = (0..8).map(|j| 4e-4 * 2f64.powi(j)).collect();
    let mut points: Vec<Point> = grid
        .iter()
        .map(|&om| point(1e-3, om, Some((5.0 + 2.0 * (om / 0.003f64).ln().powi(2)).exp().round() as usize), 100_000))
        .collect();
    let o = optimum(&points, 1.25).unwrap();
    assert!(!o.min_at_edge);
    assert!((o.min_fit.unwrap() / 0.003 - 1.0).abs() < 0.02, "{:?}", o.min_fit);
    // Censor everything after the minimum: the knee is interpolated towards the budget.
    let i = grid.iter().position(|&om| om == o.at_min).unwrap();
    for p in &mut points[i + 1..] {
        p.times = vec![None; 3];
        p.budget = 1000;
    }
    let censored = optimum(&points, 1.25).unwrap();
    assert!(censored.knee.unwrap() > o.at_min && censored.knee.unwrap() < grid[i + 1]);
    assert_eq!(censored.censored, grid.len() - i - 1);
    // Nothing above the level up to the grid's end: no knee; nothing timed: no optimum.
    assert_eq!(optimum(&points[..=i], 1.25).unwrap().knee, None);
    assert!(optimum(&points[i + 1..], 1.25).is_none());
}

#[test]
fn the_fit_recovers_the_exponent_of_synthetic_knees() {
    // k0 = 0.3 eta^(2/3) and t0 = 50 eta^(-2/3) at five learning rates.
    let lrs = [1e-4, 2e-4, 4e-4, 8e-4, 1.6e-3];
    let g = 2.0 / 3.0;
    let points: Vec<Point> =
        lrs.iter().flat_map(|&lr| plateau_then_rise(lr, 50.0 * lr.powf(-g), 0.3 * lr.powf(g))).collect();
    let grid = MomentumGrid {
        lrs: lrs.to_vec(),
        one_minus_beta: points[..10].iter().map(|p| p.one_minus_beta).collect(),
        seeds: vec![0, 1, 2],
        eps: 0.5,
        threshold: 1.0,
        budget: 100_000,
        record_every: 1,
        cap: 5.0,
    };
    let scan = Scan {
        task: "synthetic".into(),
        task_config: serde_json::Value::Null,
        regulariser: "none".into(),
        phase_one: nn::train::PhaseOne { steps: 0, train_loss: 0.0, interpolated: true },
        start_regulariser: 2.0,
        grid,
        points,
    };
    let m = TaskResult::new(scan, &TOLERANCE);
    let fit = m.g.unwrap();
    assert!(
        (fit.slope - g).abs() < 1e-3 && (fit.intercept.exp() / (0.3 * 1.25f64.sqrt()) - 1.0).abs() < 1e-2,
        "{fit:?}"
    );
    assert!((m.time.unwrap().slope + g).abs() < 1e-3);
    assert_eq!(m.local_g.len(), 3);
    assert_eq!(m.verdict, Verdict::Pass);
    assert!(m.interval_contains);
}

/// C9's tolerances as in experiments/C9.toml.
const TOLERANCE: Tolerance = Tolerance { g: 2.0 / 3.0, g_abs: 0.15, knee: 1.25 };

fn fit(slope: f64, half: f64) -> LogLogFit {
    LogLogFit { slope, intercept: 0.0, slope_ci: Some([slope - half, slope + half]), n: 5 }
}

/// The verdict on fitted exponents built to pass, to fail and to be inconclusive, with margins
/// in units of the interval's half-width.
#[test]
fn the_verdict_passes_fails_and_is_inconclusive_where_it_should() {
    // Band [0.517, 0.817] around 2/3.
    let cases = [
        (fit(0.70, 0.05), Verdict::Pass, true),          // [0.65, 0.75] inside the band
        (fit(0.78, 0.03), Verdict::Pass, false),         // [0.75, 0.81] inside, misses 2/3
        (fit(0.75, 0.12), Verdict::Inconclusive, true),  // contains 2/3 but reaches 0.87 > 0.817
        (fit(0.85, 0.10), Verdict::Inconclusive, false), // [0.75, 0.95] straddles the edge
        (fit(0.90, 0.05), Verdict::Fail, false),         // [0.85, 0.95] wholly above the band
        (fit(0.50, 0.01), Verdict::Fail, false),         // [0.49, 0.51] wholly below it
    ];
    for (g, verdict, contains) in cases {
        let (check, c, v) = judge(Some(&g), &TOLERANCE);
        assert_eq!((v, c), (verdict, contains), "g = {:?}", g.slope_ci);
        let margin = (TOLERANCE.g_abs - (g.slope - TOLERANCE.g).abs())
            / (0.5 * (g.slope_ci.unwrap()[1] - g.slope_ci.unwrap()[0]));
        assert!((check.margin.unwrap() - margin).abs() < 1e-12);
    }
    // Fewer than three knees: no fit, inconclusive.
    assert_eq!(judge(None, &TOLERANCE).2, Verdict::Inconclusive);
}
