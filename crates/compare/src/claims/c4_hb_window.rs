//! C4 (Morwani et al.): heavy ball keeps SGD-level compute efficiency over a window of batch
//! sizes √κ times wider than SGD's, tested up to a constant: on one spectral shape at several κ
//! (at least five, two decades), the log-log slope of B_sat(HB)/B_sat(SGD) against √κ is 1. The
//! constant (window/√κ) is reported, never judged.

use super::{Part, fmt, median_range};
use crate::sweep::Sweep;
use crate::verdict::ExponentCheck;
use serde::Deserialize;
use serde_json::json;
use theory::Family;

/// C4's tolerances: the band of the slope (its 95 % interval must lie inside).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub slope: [f64; 2],
    /// The former per-spectrum window of (B_sat(HB)/B_sat(SGD))/√κ, reported as numbers only.
    pub reported_window: [f64; 2],
}

/// (√κ, B_sat(HB)/B_sat(SGD)) of one sweep.
pub fn window(s: &Sweep) -> (f64, Option<f64>) {
    let ratio = s.saturation(Family::Sgd).zip(s.saturation(Family::Hb)).map(|(sgd, hb)| hb / sgd);
    (s.kappa().sqrt(), ratio)
}

/// The fit of ln(window) against ln √κ over `sweeps` (see the module doc).
pub fn check(tol: &Tolerance, sweeps: &[&Sweep]) -> Part {
    let rows: Vec<(String, f64, Option<f64>)> = sweeps
        .iter()
        .map(|s| {
            let (root_kappa, ratio) = window(s);
            (s.spec.clone(), root_kappa, ratio)
        })
        .collect();
    let points: Vec<(f64, f64)> = rows.iter().filter_map(|r| r.2.map(|w| (r.1, w))).collect();
    let exponent = ExponentCheck::new(&points, tol.slope, None);
    let constants: Vec<f64> = points.iter().map(|(k, w)| w / k).collect();
    let constant = median_range(&constants);
    let [lo, hi] = tol.reported_window;
    let kappas = rows.iter().map(|r| r.1 * r.1);
    let decades = (kappas.clone().fold(f64::NEG_INFINITY, f64::max) / kappas.fold(f64::INFINITY, f64::min)).log10();
    Part {
        predicted: json!({"exponent": 1.0, "window": "∝ √κ"}),
        measured: json!({
            "spectra": rows.iter().map(|r| json!({
                "spectrum": r.0, "sqrt_kappa": r.1, "window": r.2, "constant": r.2.map(|w| w / r.1),
            })).collect::<Vec<_>>(),
            "exponent": exponent,
            "kappa_decades": decades,
            "constant": constant.map(|(m, a, b)| json!({"median": m, "min": a, "max": b})),
            "reported_window": {
                "window": tol.reported_window,
                "inside": constants.iter().filter(|c| **c >= lo && **c <= hi).count(), "of": constants.len(),
            },
        }),
        verdict: exponent.verdict,
        summary: format!(
            "B_sat(HB)/B_sat(SGD) ∝ √κ^g over {} κ ({decades:.1} decades): {}; constant window/√κ median {} (range {}–{})",
            points.len(),
            exponent.describe(),
            fmt(constant.map(|c| c.0)),
            fmt(constant.map(|c| c.1)),
            fmt(constant.map(|c| c.2)),
        ),
    }
}
