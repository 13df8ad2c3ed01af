//! C4 (Morwani et al.): heavy ball keeps SGD-level compute efficiency over a window of batch
//! sizes √κ times wider than SGD's, tested up to a constant: on one spectral shape at several κ
//! (at least five, two decades), the log-log slope of B_sat(HB)/B_sat(SGD) against √κ is 1. The
//! constant (window/√κ) is reported, never judged.

use super::{Part, describe_constant, family_law};
use crate::sweep::TunedSweep;
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
pub fn window(s: &TunedSweep) -> (f64, Option<f64>) {
    let ratio = s.saturation(Family::Sgd).zip(s.saturation(Family::Hb)).map(|(sgd, hb)| hb / sgd);
    (s.kappa().sqrt(), ratio)
}

/// The fit of ln(window) against ln √κ over `sweeps` (see the module doc).
pub fn check(tol: &Tolerance, sweeps: &[&TunedSweep]) -> Part {
    let rows: Vec<(String, f64, Option<f64>)> = sweeps
        .iter()
        .map(|s| {
            let (root_kappa, ratio) = window(s);
            (s.spec.clone(), root_kappa, ratio)
        })
        .collect();
    let law = family_law(&rows, ("sqrt_kappa", "window"), tol.slope, None, tol.reported_window);
    Part {
        predicted: json!({"exponent": 1.0, "window": "∝ √κ"}),
        summary: format!(
            "B_sat(HB)/B_sat(SGD) ∝ √κ^g over {} κ ({:.1} decades of κ): {}; constant window/√κ {}",
            law.exponent.fit.map_or(0, |f| f.n),
            2.0 * law.decades,
            law.exponent.describe(),
            describe_constant(law.constant),
        ),
        verdict: law.exponent.verdict,
        measured: law.measured,
    }
}
