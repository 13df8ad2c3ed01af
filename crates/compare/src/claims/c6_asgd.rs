//! C6 (Kidambi et al. / Jain et al., Morwani et al.): accelerated SGD improves small-batch
//! compute efficiency over heavy ball when the spectrum decays fast, and trades that advantage
//! for serial runtime as B grows; on slowly decaying spectra the two nearly overlap.

use super::Part;
use crate::error::{Error, Result};
use crate::sweep::TunedSweep;
use crate::verdict::{Check, Verdict, count_ratio_uncertainty};
use serde::Deserialize;
use serde_json::json;
use theory::Family;

/// C6's tolerances.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// CE_ASGD(1)/CE_HB(1) at least this on the fast-decay spectrum.
    pub fast_min: f64,
    /// ... and within [slow_lo, slow_hi] on the slow-decay one.
    pub slow_lo: f64,
    pub slow_hi: f64,
    /// "Keeps falling" is checked for B <= range · B_hb of the fast spectrum.
    pub range: f64,
}

/// On the fast-decay spectrum (first) CE_ASGD(1)/CE_HB(1) >= `fast_min`, on the slow-decay
/// spectrum (second) within [`slow_lo`, `slow_hi`]; on the fast one that ratio decreases with B
/// while ASGD's T(B) keeps falling, for B <= `range` B_hb (beyond HB's saturation both T(B)
/// are flat at their deterministic limits; the whole-grid monotonicity is reported too). The
/// ratios T_HB/T_ASGD are of iteration counts, with the uncertainty
/// [`count_ratio_uncertainty`]: a ratio within it of a threshold is inconclusive.
pub fn check(tol: &Tolerance, sweeps: &[&TunedSweep]) -> Result<Part> {
    let [fast, slow] = sweeps else {
        return Err(Error::Registry("C6 needs exactly two spectra (fast decay, slow decay)".into()));
    };
    // CE_ASGD / CE_HB = T_HB / T_ASGD at equal B.
    let ratios = |s: &TunedSweep| -> Vec<f64> {
        s.iterations(Family::Hb).iter().zip(s.iterations(Family::Asgd)).map(|(h, a)| h / a).collect()
    };
    let (fast_ratios, slow_ratios) = (ratios(fast), ratios(slow));
    let t_asgd = fast.iterations(Family::Asgd);
    // "Decreases" and "keeps falling", allowing 1 % of rounding in integer iteration counts.
    let falls = |v: &[f64]| v.windows(2).all(|w| w[1] <= w[0] * 1.01);
    let inside = fast.batches.iter().take_while(|b| **b <= tol.range * fast.summary.b_hb).count();
    let (ratio_falls, t_falls) = (falls(&fast_ratios[..inside]), falls(&t_asgd[..inside]));
    let at_b1 = |s: &TunedSweep, lo: f64, hi: f64| {
        let (hb, asgd) = (s.iterations(Family::Hb)[0], s.iterations(Family::Asgd)[0]);
        Check::band(Some(hb / asgd), count_ratio_uncertainty(hb, asgd), lo, hi)
    };
    let (fast_check, slow_check) = (at_b1(fast, tol.fast_min, f64::INFINITY), at_b1(slow, tol.slow_lo, tol.slow_hi));
    let verdict = Verdict::all([fast_check.verdict, slow_check.verdict, Verdict::from_bool(ratio_falls && t_falls)]);
    let checked_up_to = fast.batches[inside.saturating_sub(1)];
    Ok(Part {
        predicted: json!({"fast_decay_ce_ratio_at_b1_at_least": tol.fast_min, "slow_decay_ce_ratio_at_b1_within": [tol.slow_lo, tol.slow_hi]}),
        measured: json!({
            "fast": {
                "spectrum": fast.spec, "ce_asgd_over_hb": fast_ratios, "t_asgd": t_asgd,
                "checked_up_to_batch": checked_up_to,
                "ratio_decreases": ratio_falls, "t_asgd_decreases": t_falls,
                "ratio_decreases_on_whole_grid": falls(&fast_ratios), "t_asgd_decreases_on_whole_grid": falls(&t_asgd),
                "check_at_b1": fast_check,
            },
            "slow": {"spectrum": slow.spec, "ce_asgd_over_hb": slow_ratios, "check_at_b1": slow_check},
        }),
        verdict,
        summary: format!(
            "CE_ASGD(1)/CE_HB(1): {} ({}), {} ({}); up to B = {checked_up_to}: ratio falls {ratio_falls}, T_ASGD falls {t_falls}",
            fast_check.describe(),
            fast.spec,
            slow_check.describe(),
            slow.spec
        ),
    })
}
