//! C2: SGD's critical batch scales like tr/L (docs/theory.md §5), tested as the papers state it,
//! up to a constant: across a family of spectra whose tr/L spans at least 1.5 decades, the
//! log-log slope of the measured B_sat(SGD) against tr/L is 1. The constant B_sat·L/tr is
//! reported (median, range), never judged.

use super::{Part, fmt, median_range};
use crate::sweep::Sweep;
use crate::verdict::ExponentCheck;
use serde::Deserialize;
use serde_json::json;
use theory::Family;

/// C2's tolerances: the slope's band and the band its 95 % interval must lie in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub slope: [f64; 2],
    pub interval: [f64; 2],
    /// The former per-spectrum window of B_sat/(tr/L), reported as numbers only.
    pub reported_window: [f64; 2],
}

/// The fit of ln B_sat(SGD) against ln(tr/L) over `sweeps` (see the module doc).
pub fn check(tol: &Tolerance, sweeps: &[&Sweep]) -> Part {
    let rows: Vec<(String, f64, Option<f64>)> =
        sweeps.iter().map(|s| (s.spec.clone(), s.summary.b_sgd, s.saturation(Family::Sgd))).collect();
    let points: Vec<(f64, f64)> = rows.iter().filter_map(|r| r.2.map(|b| (r.1, b))).collect();
    let exponent = ExponentCheck::new(&points, tol.slope, Some(tol.interval));
    let constants: Vec<f64> = rows.iter().filter_map(|r| r.2.map(|b| b / r.1)).collect();
    let constant = median_range(&constants);
    let [lo, hi] = tol.reported_window;
    let in_window = constants.iter().filter(|c| **c >= lo && **c <= hi).count();
    let spread = rows.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max)
        / rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let summary = format!(
        "B_sat(SGD) ∝ (tr/L)^g over {} spectra (tr/L spans {:.1} decades): {}; constant B_sat·L/tr median {} (range {}–{})",
        points.len(),
        spread.log10(),
        exponent.describe(),
        fmt(constant.map(|c| c.0)),
        fmt(constant.map(|c| c.1)),
        fmt(constant.map(|c| c.2)),
    );
    Part {
        predicted: json!({"exponent": 1.0, "b_sat_sgd": "∝ tr/L"}),
        measured: json!({
            "spectra": rows.iter().map(|r| json!({
                "spectrum": r.0, "tr_over_l": r.1, "b_sat_sgd": r.2, "constant": r.2.map(|b| b / r.1),
            })).collect::<Vec<_>>(),
            "exponent": exponent,
            "tr_over_l_decades": spread.log10(),
            "constant": constant.map(|(m, a, b)| json!({"median": m, "min": a, "max": b})),
            "reported_window": {"window": tol.reported_window, "inside": in_window, "of": constants.len()},
        }),
        verdict: exponent.verdict,
        summary,
    }
}
