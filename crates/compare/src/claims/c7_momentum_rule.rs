//! C7: a simple closed-form choice of the momentum parameter (Garg–Dereziński, docs/theory.md
//! §5). Every rule of [`theory::rules::RULES`] is run at every grid batch of the claim's
//! held-out spectra (the rules' constants were chosen on the training spectra named in the
//! protocol, never on these) and compared with T-tuned heavy ball: the claim passes iff some rule
//! stays within `factor` of it at every B and never diverges, on every held-out spectrum.
//! Reported per rule: the worst ratio and where it occurs, where it diverges, and whether it
//! parallelizes (the log-log slope of T_rule(B) below B_hb/4).

use super::{Part, measured_json};
use crate::error::Result;
use crate::sweep::TunedSweep;
use crate::verdict::{Check, LogLogFit, Verdict, count_ratio_uncertainty, log_log_fit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use theory::rules::{RULES, Rule};
use theory::{Family, Hitting, Predictions, Target};

/// C7's tolerances.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The largest T_rule(B)/T_tuned(B) allowed at any B.
    pub factor: f64,
}

/// C7's protocol.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// The spectra the rules' constants were chosen on (documentation: never judged).
    pub training: Vec<String>,
    /// A rule's curve is stopped at `ratio_cap` times the tuned T (the ratio is then reported as
    /// above the cap): enough to judge `factor`, bounded in cost.
    pub ratio_cap: f64,
    /// The range of C3's 1/B law, as a fraction of B_hb, for the rules' parallelization slope.
    pub fraction: f64,
}

/// One rule on one held-out spectrum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumResult {
    pub spectrum: String,
    /// T_rule(B)/T_tuned(B) at each grid batch; None where the rule diverges or is above the cap.
    pub ratios: Vec<Option<f64>>,
    pub diverged_at: Vec<f64>,
    pub above_cap_at: Vec<f64>,
    /// The log-log fit of T_rule(B) for B <= `fraction` B_hb (does the rule parallelize?).
    pub t_rule_slope_below_b_hb: Option<LogLogFit>,
}

/// One rule on every held-out spectrum, with its verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    pub formula: String,
    pub verdict: Verdict,
    /// The worst ratio against [0, factor], with the integer-count uncertainty.
    pub check: Check,
    /// None when the worst point is above the cap.
    pub worst_ratio: Option<f64>,
    pub worst_spectrum: String,
    pub worst_batch: f64,
    pub diverged_points: usize,
    /// In the order of the claim's spectra.
    pub spectra: Vec<SpectrumResult>,
}

/// T_rule(B)/T_tuned(B): None when the rule diverges, +inf when not within the cap.
fn ratio(spectrum: &theory::Spectrum, rule: &Rule, batch: f64, tuned: f64, cap: f64) -> Option<f64> {
    let p = Predictions::new(spectrum, batch);
    match rule.iterations_to_target(spectrum, &p, Target::default().eps, (cap * tuned).ceil() as usize) {
        Hitting::Reached(t) => Some(t as f64 / tuned),
        Hitting::NotReached { .. }
            if rule.fixed().is_some_and(|m| theory::rate(spectrum, &m(&p), batch).diverged()) =>
        {
            None
        }
        Hitting::NotReached { .. } => Some(f64::INFINITY),
        Hitting::Diverged(_) => None,
    }
}

/// Every rule on every held-out sweep (see the module doc).
pub fn check(tol: &Tolerance, protocol: &Protocol, sweeps: &[&TunedSweep]) -> Result<Part> {
    let spectra = sweeps.iter().map(|s| s.spectrum()).collect::<Result<Vec<_>>>()?;
    let cells: Vec<(usize, usize, usize)> = (0..RULES.len())
        .flat_map(|r| (0..sweeps.len()).flat_map(move |s| (0..sweeps[s].batches.len()).map(move |b| (r, s, b))))
        .collect();
    let ratios: Vec<Option<f64>> = cells
        .par_iter()
        .map(|&(r, s, b)| {
            let (sweep, batch) = (sweeps[s], sweeps[s].batches[b]);
            ratio(&spectra[s], &RULES[r], batch, sweep.iterations(Family::Hb)[b], protocol.ratio_cap)
        })
        .collect();
    let at = |r: usize, s: usize| -> Vec<Option<f64>> {
        cells.iter().zip(&ratios).filter(|(c, _)| c.0 == r && c.1 == s).map(|(_, v)| *v).collect()
    };
    let mut measured = Vec::new();
    let mut verdicts = Vec::new();
    let mut parts = Vec::new();
    for (r, rule) in RULES.iter().enumerate() {
        let mut per_spectrum = Vec::new();
        // (ratio, spectrum, batch, tuned T there)
        let mut worst: (f64, String, f64, f64) = (0.0, String::new(), 0.0, 1.0);
        let mut diverged = 0;
        for (s, sweep) in sweeps.iter().enumerate() {
            let rs = at(r, s);
            let tuned = sweep.iterations(Family::Hb);
            diverged += rs.iter().filter(|v| v.is_none()).count();
            for (b, v) in rs.iter().enumerate() {
                let v = v.unwrap_or(f64::INFINITY);
                if v > worst.0 || worst.1.is_empty() {
                    worst = (v, sweep.spec.clone(), sweep.batches[b], tuned[b]);
                }
            }
            let below: Vec<(f64, f64)> = sweep
                .batches
                .iter()
                .zip(&rs)
                .zip(&tuned)
                .filter(|((b, _), _)| **b <= protocol.fraction * sweep.summary.b_hb)
                .filter_map(|((b, v), t)| v.filter(|v| v.is_finite()).map(|v| (*b, v * t)))
                .collect();
            let batches_where = |f: fn(&Option<f64>) -> bool| {
                sweep.batches.iter().zip(&rs).filter(|(_, v)| f(v)).map(|(b, _)| *b).collect::<Vec<_>>()
            };
            per_spectrum.push(SpectrumResult {
                spectrum: sweep.spec.clone(),
                ratios: rs.iter().map(|v| v.filter(|x| x.is_finite())).collect(),
                diverged_at: batches_where(|v| v.is_none()),
                above_cap_at: batches_where(|v| v.is_some_and(|x| x.is_infinite())),
                t_rule_slope_below_b_hb: log_log_fit(&below),
            });
        }
        // r = T_rule/T_tuned, a ratio of iteration counts.
        let uncertainty = if worst.0.is_finite() { count_ratio_uncertainty(worst.0 * worst.3, worst.3) } else { 0.0 };
        let check =
            Check::band((diverged == 0).then_some(worst.0).filter(|w| w.is_finite()), uncertainty, 0.0, tol.factor);
        let verdict = if diverged > 0 || worst.0.is_infinite() { Verdict::Fail } else { check.verdict };
        verdicts.push(verdict);
        let shown = match (diverged, worst.0.is_finite()) {
            (0, true) => format!("worst {:.2} ({} at B = {})", worst.0, worst.1, worst.2),
            (0, false) => format!("above {}x ({} at B = {})", protocol.ratio_cap, worst.1, worst.2),
            (n, _) => format!("diverges at {n} points"),
        };
        parts.push(format!("{}: {shown}", rule.name));
        measured.push(RuleResult {
            rule: rule.name.into(),
            formula: rule.formula.into(),
            verdict,
            check,
            worst_ratio: worst.0.is_finite().then_some(worst.0),
            worst_spectrum: worst.1,
            worst_batch: worst.2,
            diverged_points: diverged,
            spectra: per_spectrum,
        });
    }
    Ok(Part {
        predicted: json!({"t_rule_over_t_tuned_at_most": tol.factor, "training_spectra": protocol.training}),
        measured: measured_json(&measured)?,
        verdict: Verdict::any(verdicts),
        summary: format!(
            "T_rule/T_tuned(HB) over B on {} held-out spectra (<= {}): {}",
            sweeps.len(),
            tol.factor,
            parts.join("; ")
        ),
    })
}
