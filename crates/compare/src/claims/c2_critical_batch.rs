//! C2: SGD's critical batch scales like tr/L (docs/theory.md §5), tested as the papers state it,
//! up to a constant: across a family of spectra whose tr/L spans at least 1.5 decades, the
//! log-log slope of the measured B_sat(SGD) against tr/L is 1. The constant B_sat·L/tr is
//! reported (median, range), never judged.

use super::{Part, describe_constant, family_law};
use crate::sweep::TunedSweep;
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

/// (tr/L, B_sat(SGD)) of one sweep.
pub fn point(s: &TunedSweep) -> (f64, Option<f64>) {
    (s.summary.b_sgd, s.saturation(Family::Sgd))
}

/// The fit of ln B_sat(SGD) against ln(tr/L) over `sweeps` (see the module doc).
pub fn check(tol: &Tolerance, sweeps: &[&TunedSweep]) -> Part {
    let rows: Vec<(String, f64, Option<f64>)> = sweeps
        .iter()
        .map(|s| {
            let (x, y) = point(s);
            (s.spec.clone(), x, y)
        })
        .collect();
    let law = family_law(&rows, ("tr_over_l", "b_sat_sgd"), tol.slope, Some(tol.interval), tol.reported_window);
    Part {
        predicted: json!({"exponent": 1.0, "b_sat_sgd": "∝ tr/L"}),
        summary: format!(
            "B_sat(SGD) ∝ (tr/L)^g over {} spectra (tr/L spans {:.1} decades): {}; constant B_sat·L/tr {}",
            law.exponent.fit.map_or(0, |f| f.n),
            law.decades,
            law.exponent.describe(),
            describe_constant(law.constant),
        ),
        verdict: law.exponent.verdict,
        measured: law.measured,
    }
}
