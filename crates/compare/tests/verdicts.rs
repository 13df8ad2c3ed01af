//! Verdict logic on synthetic inputs: each claim's check passes on data built to satisfy it and
//! fails on data built to violate it, so a verdict can never be stuck at "pass".

use compare::claims::evaluate;
use compare::registry::ClaimSpec;
use compare::sweep::{FAMILIES, Point, Problem, Sweep};
use compare::verdict::{Verdict, log_log_fit, log_log_slope};
use theory::{Family, Method, Spectrum};

#[test]
fn combinators() {
    use Verdict::*;
    assert_eq!(Verdict::within(Some(1.0), 0.5, 2.0), Pass);
    assert_eq!(Verdict::within(Some(2.5), 0.5, 2.0), Fail);
    assert_eq!(Verdict::within(None, 0.5, 2.0), Inconclusive);
    assert_eq!(Verdict::within(Some(f64::NAN), 0.5, 2.0), Inconclusive);
    assert_eq!(Verdict::at_most(Some(1.5), 1.5), Pass);
    assert_eq!(Verdict::at_least(Some(1.4), 1.5), Fail);
    assert_eq!(Verdict::all([Pass, Inconclusive, Pass]), Inconclusive);
    assert_eq!(Verdict::all([Pass, Inconclusive, Fail]), Fail);
    assert_eq!(Verdict::all([Pass, Pass]), Pass);
    assert_eq!(Verdict::any([Fail, Pass]), Pass);
    assert_eq!(Verdict::any([Fail, Inconclusive]), Inconclusive);
    assert_eq!(Verdict::any([Fail, Fail]), Fail);
    let points: Vec<(f64, f64)> = (1..6).map(|k| (k as f64, 3.0 * (k as f64).powf(0.7))).collect();
    assert!((log_log_slope(&points).unwrap() - 0.7).abs() < 1e-12);
    assert_eq!(log_log_slope(&points[..1]), None);
}

#[test]
fn log_log_fit_matches_an_independent_least_squares() {
    // Reference: numpy.linalg.lstsq on (ln x, ln y) and t_{0.975, 3} = 3.182446305284263.
    let noise = [1.1, 0.9, 1.05, 0.95, 1.0];
    let points: Vec<(f64, f64)> =
        [1.0f64, 2.0, 4.0, 8.0, 16.0].iter().zip(noise).map(|(x, e)| (*x, x.sqrt() * e)).collect();
    let fit = log_log_fit(&points).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(fit.slope, 0.48029954645014056) && close(fit.intercept, 0.024799934453350696), "{fit:?}");
    let [lo, hi] = fit.slope_ci.unwrap();
    assert!(close(lo, 0.3523453836316427) && close(hi, 0.6082537092686384), "{fit:?}");
    // An exact power law: zero width; two points: no interval.
    let exact: Vec<(f64, f64)> = (1..6).map(|k| (k as f64, 3.0 * (k as f64).powf(-0.7))).collect();
    let [lo, hi] = log_log_fit(&exact).unwrap().slope_ci.unwrap();
    assert!(close(lo, -0.7) && close(hi, -0.7));
    assert_eq!(log_log_fit(&exact[..2]).unwrap().slope_ci, None);
}

/// A sweep whose family f has T_f(B) = 1000 (1/B + c_f) with c_f = 1/(bsat_f - 2): B T(B) =
/// 1000 (1 + c_f B) reaches twice its B = 1 value at B = 2 + 1/c_f = bsat_f (bsat_f > 2).
fn synthetic(spec: &str, saturation: [f64; 4]) -> Sweep {
    let spectrum: Spectrum = spec.parse().unwrap();
    let batches: Vec<f64> = (0..=14).map(|k| 2f64.powi(k)).collect();
    let points = FAMILIES
        .iter()
        .zip(saturation)
        .map(|(&f, bsat)| {
            let rows = batches
                .iter()
                .map(|&b| Point {
                    batch: b,
                    method: Method::Sgd { lr: 0.1 },
                    rate: Some(0.5),
                    iterations: Some(1000.0 * (1.0 / b + 1.0 / (bsat - 2.0))),
                })
                .collect();
            (f, rows)
        })
        .collect();
    let summary = spectrum.summary();
    Sweep { spec: spec.into(), problem: Problem::Gaussian, summary, batches, points, simulated: Vec::new() }
}

fn claim(id: &str, tolerance: &[(&str, f64)]) -> ClaimSpec {
    ClaimSpec {
        id: id.into(),
        source: "synthetic".into(),
        statement: "synthetic".into(),
        spectra: vec!["power:d=100,a=1".into()],
        smoke_spectra: vec!["power:d=100,a=1".into()],
        tolerance: tolerance.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        protocol: Default::default(),
        task: None,
    }
}

#[test]
fn c2_passes_at_the_predicted_batch_and_fails_far_from_it() {
    let c2 = claim("C2", &[("lo", 0.5), ("hi", 2.0)]);
    let b_sgd = "power:d=100,a=1".parse::<Spectrum>().unwrap().summary().b_sgd;
    let at = synthetic("power:d=100,a=1", [b_sgd, 50.0, 50.0, 50.0]);
    let r = evaluate(&c2, &[&at]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.summary);
    let ratio = r.measured[0]["ratio"].as_f64().unwrap();
    assert!((ratio - 1.0).abs() < 0.05, "{ratio}");
    let far = synthetic("power:d=100,a=1", [4.0 * b_sgd, 50.0, 50.0, 50.0]);
    assert_eq!(evaluate(&c2, &[&far]).unwrap().verdict, Verdict::Fail);
}

#[test]
fn c4_window_ratio_against_sqrt_kappa() {
    let c4 = claim("C4", &[("lo", 1.0 / 3.0), ("hi", 3.0)]);
    // kappa = 100: HB saturating 10x later than SGD is exactly sqrt(kappa).
    let good = synthetic("power:d=100,a=1", [8.0, 80.0, 80.0, 80.0]);
    assert_eq!(evaluate(&c4, &[&good]).unwrap().verdict, Verdict::Pass);
    let bad = synthetic("power:d=100,a=1", [8.0, 8.0, 8.0, 8.0]);
    assert_eq!(evaluate(&c4, &[&good, &bad]).unwrap().verdict, Verdict::Fail);
}

#[test]
fn c3_and_c5_fail_when_heavy_ball_loses_parallelism_or_wins_efficiency() {
    let c3 = claim("C3", &[("factor", 1.5), ("fraction", 0.25)]);
    // B_hb = 51.9 for power:d=100,a=1; B T(B)/T(1) at B = 8 is (1 + 8/bsat)/(1 + 1/bsat).
    let parallel = synthetic("power:d=100,a=1", [5.0, 200.0, 200.0, 200.0]);
    assert_eq!(evaluate(&c3, &[&parallel]).unwrap().verdict, Verdict::Pass);
    let serial = synthetic("power:d=100,a=1", [5.0, 5.0, 5.0, 5.0]);
    assert_eq!(evaluate(&c3, &[&serial]).unwrap().verdict, Verdict::Fail);

    let c5 = claim("C5", &[("max_ratio", 1.5), ("max_slope", 0.1)]);
    let mut better = synthetic("power:d=100,a=1", [5.0, 5.0, 5.0, 5.0]);
    for p in better.points.iter_mut().filter(|(f, _)| *f == Family::Hb).flat_map(|(_, p)| p.iter_mut()) {
        p.iterations = p.iterations.map(|t| t / 2.0); // HB twice as efficient everywhere
    }
    // The slope against kappa needs two spectra: alone it is inconclusive, never a pass.
    assert_eq!(evaluate(&c5, &[&serial]).unwrap().verdict, Verdict::Inconclusive);
    let other = synthetic("power:d=1000,a=1", [5.0, 5.0, 5.0, 5.0]);
    assert_eq!(evaluate(&c5, &[&serial, &other]).unwrap().verdict, Verdict::Pass);
    assert_eq!(evaluate(&c5, &[&better, &other]).unwrap().verdict, Verdict::Fail);
}

#[test]
fn c6_needs_asgd_ahead_on_fast_decay_and_level_on_slow_decay() {
    let c6 = claim("C6", &[("fast_min", 1.5), ("slow_lo", 0.83), ("slow_hi", 1.2), ("range", 1.0)]);
    let scale = |mut s: Sweep, family: Family, by: &dyn Fn(f64) -> f64| {
        for (f, points) in s.points.iter_mut() {
            if *f == family {
                points.iter_mut().for_each(|p| p.iterations = p.iterations.map(|t| t * by(p.batch)));
            }
        }
        s
    };
    // ASGD 3x faster than HB at B = 1, the advantage fading as B grows.
    let fast =
        scale(synthetic("power:d=100,a=2", [5.0, 100.0, 100.0, 100.0]), Family::Asgd, &|b| (1.0 + b) / (3.0 + b));
    let slow = synthetic("power:d=1000,a=0.5", [5.0, 100.0, 100.0, 100.0]);
    let r = evaluate(&c6, &[&fast, &slow]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.summary);
    // No advantage on the fast spectrum: fail.
    let level = synthetic("power:d=100,a=2", [5.0, 100.0, 100.0, 100.0]);
    assert_eq!(evaluate(&c6, &[&level, &slow]).unwrap().verdict, Verdict::Fail);
    // An advantage that grows with B contradicts the claim: fail.
    let growing = scale(synthetic("power:d=100,a=2", [5.0, 100.0, 100.0, 100.0]), Family::Asgd, &|b| 0.5 / b.sqrt());
    assert_eq!(evaluate(&c6, &[&growing, &slow]).unwrap().verdict, Verdict::Fail);
    assert!(evaluate(&c6, &[&slow]).is_err());
}

#[test]
fn c8_applies_c2_to_c4_with_its_own_tolerances_and_needs_all_three() {
    let tolerances = [
        ("c2_lo", 0.5),
        ("c2_hi", 2.0),
        ("c3_factor", 1.5),
        ("c3_fraction", 0.25),
        ("c4_lo", 1.0 / 3.0),
        ("c4_hi", 3.0),
    ];
    let c8 = claim("C8", &tolerances);
    // power:d=100,a=1: tr/L = 5.19, sqrt(kappa) = 10; SGD saturating at 5.19 and HB at 51.9.
    let b_sgd = "power:d=100,a=1".parse::<Spectrum>().unwrap().summary().b_sgd;
    let good = synthetic("power:d=100,a=1", [b_sgd, 10.0 * b_sgd, 100.0, 100.0]);
    let r = evaluate(&c8, &[&good]).unwrap();
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.summary);
    assert_eq!(r.measured["C4"]["verdict"], "pass");
    // Only the window is wrong (HB saturates with SGD): C2 still passes, C3 and C4 fail.
    let narrow = synthetic("power:d=100,a=1", [b_sgd, b_sgd, 100.0, 100.0]);
    let r = evaluate(&c8, &[&narrow]).unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(r.measured["C2"]["verdict"], "pass");
    assert_eq!(r.measured["C4"]["verdict"], "fail");
    // Missing prefixed tolerances are an error, not a default.
    assert!(evaluate(&claim("C8", &[("lo", 0.5), ("hi", 2.0)]), &[&good]).is_err());
}
