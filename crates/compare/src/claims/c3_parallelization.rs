//! C3 (perfect parallelization, Garg–Dereziński): below its saturation batch heavy ball's
//! serial runtime falls like 1/B, i.e. on every spectrum the log-log slope of the tuned T_HB(B)
//! over 1 <= B <= fraction·B_hb lies in the band around −1. Reported beside it: the
//! HB-over-SGD speedup slope between B_sgd and B_hb/4 and the largest B·T_HB(B)/T_HB(1) there.

use super::{Part, fmt};
use crate::sweep::TunedSweep;
use crate::verdict::{ExponentCheck, Verdict, log_log_slope};
use serde::Deserialize;
use serde_json::json;
use theory::Family;

/// C3's tolerances: the band of T_HB(B)'s slope, and how far below B_hb it is fitted.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub slope: [f64; 2],
    pub fraction: f64,
}

/// The slope of ln T_HB against ln B on each sweep (see the module doc); pass iff every
/// spectrum passes.
pub fn check(tol: &Tolerance, sweeps: &[&TunedSweep]) -> Part {
    let mut measured = Vec::new();
    let mut verdicts = Vec::new();
    let mut parts = Vec::new();
    for s in sweeps {
        let limit = tol.fraction * s.summary.b_hb;
        let t_hb = s.iterations(Family::Hb);
        let below: Vec<(f64, f64)> =
            s.batches.iter().copied().zip(t_hb.iter().copied()).filter(|(b, _)| *b <= limit).collect();
        let exponent = ExponentCheck::new(&below, tol.slope, None);
        let compute_ratio = below.iter().map(|(b, t)| b * t / t_hb[0]).fold(f64::NEG_INFINITY, f64::max);
        let t_sgd = s.iterations(Family::Sgd);
        let speedup: Vec<(f64, f64)> = s
            .batches
            .iter()
            .enumerate()
            .filter(|(_, b)| **b >= s.summary.b_sgd && **b <= limit)
            .map(|(k, b)| (*b, t_sgd[k] / t_hb[k]))
            .collect();
        let speedup_slope = log_log_slope(&speedup);
        parts.push(format!("{}: {}", s.spec, exponent.describe()));
        verdicts.push(exponent.verdict);
        measured.push(json!({
            "spectrum": s.spec, "kappa": s.kappa(), "b_hb": s.summary.b_hb, "fitted_up_to": limit,
            "exponent": exponent, "max_compute_ratio": compute_ratio.is_finite().then_some(compute_ratio),
            "speedup_slope": speedup_slope, "speedup_points": speedup.len(),
        }));
    }
    let worst = measured.iter().filter_map(|m| m["max_compute_ratio"].as_f64()).fold(f64::NEG_INFINITY, f64::max);
    Part {
        predicted: json!({"t_hb_slope": -1.0, "below": format!("{} B_hb", tol.fraction)}),
        measured: json!(measured),
        verdict: Verdict::all(verdicts),
        summary: format!(
            "T_HB(B) ∝ B^g for B <= B_hb/{}: {}; max B·T(B)/T(1) there {}",
            1.0 / tol.fraction,
            parts.join("; "),
            fmt(worst.is_finite().then_some(worst))
        ),
    }
}
