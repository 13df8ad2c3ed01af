//! C7: a simple closed-form choice of the momentum parameter (Garg–Dereziński, docs/theory.md
//! §5): some rule's T(B) is within `factor` of T-tuned heavy ball at every B of the grid, on
//! every spectrum, and never diverges.

use super::Part;
use crate::error::Result;
use crate::sweep::Sweep;
use crate::verdict::Verdict;
use serde::Deserialize;
use serde_json::json;
use theory::{Assessment, Family, Predictions, Target};

/// C7's tolerances.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// The largest T_rule(B)/T_tuned(B) allowed at any B.
    pub factor: f64,
}

/// A closed-form momentum rule: the method it picks at a batch size.
pub(crate) type Rule = fn(&Predictions) -> theory::Method;

/// The HB rules that C7 checks: (A) deterministic tuning with L_B, (B) with L_B nu_B.
pub(crate) const RULES: [(&str, Rule); 2] = [("A", |p| p.hb_rule_a.method()), ("B", |p| p.hb_rule_b.method())];

/// Each rule against tuned HB: T_rule(B)/T_tuned(B) <= `factor` at every B. Pass iff some rule
/// does so on every spectrum.
pub fn check(tol: &Tolerance, sweeps: &[&Sweep]) -> Result<Part> {
    let mut measured = Vec::new();
    let mut rule_verdicts = Vec::new();
    let mut parts = Vec::new();
    for (name, rule) in RULES {
        let mut per_spectrum = Vec::new();
        let mut verdicts = Vec::new();
        for s in sweeps {
            let tuned = s.iterations(Family::Hb);
            let spectrum = s.spectrum()?;
            let ratios: Vec<f64> = s
                .batches
                .iter()
                .zip(&tuned)
                .map(|(&b, t)| {
                    let method = rule(&Predictions::new(&spectrum, b));
                    let a = Assessment::new(&spectrum, &method, b, Target::default(), true);
                    a.iterations_to_target.map_or(f64::INFINITY, |r| r as f64 / t)
                })
                .collect();
            let worst = ratios.iter().copied().fold(0.0, f64::max);
            verdicts.push(Verdict::from_bool(worst <= tol.factor));
            per_spectrum.push(json!({
                "spectrum": s.spec, "worst_ratio": worst.is_finite().then_some(worst),
                "ratios": ratios.iter().map(|r| r.is_finite().then_some(*r)).collect::<Vec<_>>(),
                "diverged_at": s.batches.iter().zip(&ratios).filter(|(_, r)| !r.is_finite()).map(|(b, _)| *b).collect::<Vec<_>>(),
            }));
            let shown = if worst.is_finite() { format!("{worst:.2}") } else { "diverges".into() };
            parts.push(format!("rule {name} on {}: {shown}", s.spec));
        }
        rule_verdicts.push(Verdict::all(verdicts));
        measured.push(json!({"rule": name, "spectra": per_spectrum}));
    }
    Ok(Part {
        predicted: json!({"t_rule_over_t_tuned_at_most": tol.factor}),
        measured: json!(measured),
        verdict: Verdict::any(rule_verdicts),
        summary: format!("worst T_rule/T_tuned over B: {}", parts.join("; ")),
    })
}
