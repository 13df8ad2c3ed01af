//! C5 (Morwani et al.): heavy ball does not improve the compute-efficiency frontier over SGD:
//! max_B CE_HB / max_B CE_SGD stays O(1) on every spectrum and does not grow with κ. ASGD's
//! ratio is reported beside it (see C6).

use super::{Part, fmt};
use crate::sweep::TunedSweep;
use crate::verdict::{Verdict, log_log_slope};
use serde::Deserialize;
use serde_json::json;
use theory::Family;

/// C5's tolerances.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The largest max CE_HB / max CE_SGD on any spectrum.
    pub max_ratio: f64,
    /// The largest log-log slope of that ratio against κ.
    pub max_slope: f64,
}

/// Pass iff the ratio is at most `max_ratio` on every spectrum and its slope against κ at most
/// `max_slope` (inconclusive with fewer than two spectra).
pub fn check(tol: &Tolerance, sweeps: &[&TunedSweep]) -> Part {
    let rows: Vec<(f64, f64, f64, String)> = sweeps
        .iter()
        .map(|s| {
            let sgd = s.best_efficiency(Family::Sgd);
            (s.kappa(), s.best_efficiency(Family::Hb) / sgd, s.best_efficiency(Family::Asgd) / sgd, s.spec.clone())
        })
        .collect();
    let slope = log_log_slope(&rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>());
    let asgd_slope = log_log_slope(&rows.iter().map(|r| (r.0, r.2)).collect::<Vec<_>>());
    let verdict = Verdict::all(
        rows.iter().map(|r| Verdict::at_most(Some(r.1), tol.max_ratio)).chain([Verdict::at_most(slope, tol.max_slope)]),
    );
    let parts: Vec<String> = rows.iter().map(|r| format!("κ {:.0}: {:.3}", r.0, r.1)).collect();
    let worst = rows.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max);
    Part {
        predicted: json!({"hb_over_sgd_best_ce": "O(1), not growing with kappa"}),
        measured: json!({
            "spectra": rows.iter().map(|r| json!({"spectrum": r.3, "kappa": r.0, "hb_over_sgd": r.1, "asgd_over_sgd": r.2})).collect::<Vec<_>>(),
            "slope_vs_kappa": slope, "asgd_slope_vs_kappa": asgd_slope,
            "margin_ratio": tol.max_ratio - worst, "margin_slope": slope.map(|s| tol.max_slope - s),
        }),
        verdict,
        summary: format!(
            "max CE_HB / max CE_SGD: {}; slope vs κ {} (margins {:.3} to {}, {} to {})",
            parts.join("; "),
            fmt(slope),
            tol.max_ratio - worst,
            tol.max_ratio,
            fmt(slope.map(|s| tol.max_slope - s)),
            tol.max_slope
        ),
    }
}
