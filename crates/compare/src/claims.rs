//! The checks of the claims measured on tuned phase diagrams (C2–C5, C7; THEORY.md §1, §5). Each
//! takes its claim file and the sweeps of its spectra and returns what was predicted, what was
//! measured, the tolerance and the verdict, with one detail row per spectrum.

use crate::error::{Error, Result};
use crate::registry::ClaimSpec;
use crate::sweep::Sweep;
use crate::verdict::{Verdict, log_log_slope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use theory::{Assessment, Family, Predictions, Target};

/// The outcome of one claim.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimResult {
    pub id: String,
    pub source: String,
    pub statement: String,
    /// The theory's prediction (numbers, per spectrum where it depends on one).
    pub predicted: Value,
    /// What was measured.
    pub measured: Value,
    /// The pass criterion, as fixed in the claim file.
    pub tolerance: Value,
    pub verdict: Verdict,
    /// One line for the verdict table.
    pub summary: String,
    /// Figure files written for this claim.
    pub figures: Vec<String>,
}

impl ClaimResult {
    pub(crate) fn new(spec: &ClaimSpec, predicted: Value, measured: Value, verdict: Verdict, summary: String) -> Self {
        ClaimResult {
            id: spec.id.clone(),
            source: spec.source.clone(),
            statement: spec.statement.clone(),
            predicted,
            measured,
            tolerance: json!(spec.tolerance),
            verdict,
            summary,
            figures: Vec::new(),
        }
    }
}

/// Evaluates claim `spec` on the sweeps of its spectra (in the claim file's order).
pub fn evaluate(spec: &ClaimSpec, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    match spec.id.as_str() {
        "C2" => sgd_critical_batch(spec, &Tolerances::own(spec), sweeps),
        "C3" => perfect_parallelization(spec, &Tolerances::own(spec), sweeps),
        "C4" => hb_window(spec, &Tolerances::own(spec), sweeps),
        "C5" => efficiency_frontier(spec, sweeps),
        "C6" => asgd_acceleration(spec, sweeps),
        "C7" => momentum_rule(spec, sweeps),
        "C8" => kaczmarz_batches(spec, sweeps),
        other => Err(Error::Registry(format!("no check is defined for claim '{other}'"))),
    }
}

/// A claim's tolerances under a name prefix: C8 repeats C2–C4 and holds their numbers as
/// c2_lo, c3_factor, ...
struct Tolerances<'a> {
    spec: &'a ClaimSpec,
    prefix: &'static str,
}

impl<'a> Tolerances<'a> {
    fn own(spec: &'a ClaimSpec) -> Self {
        Tolerances { spec, prefix: "" }
    }

    fn get(&self, name: &str) -> Result<f64> {
        self.spec.tolerance(&format!("{}{name}", self.prefix))
    }
}

fn fmt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.3}"))
}

/// C2: B_sat(SGD) / (tr/L) within [lo, hi] on every spectrum.
fn sgd_critical_batch(spec: &ClaimSpec, tol: &Tolerances, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let (lo, hi) = (tol.get("lo")?, tol.get("hi")?);
    let rows: Vec<(String, f64, Option<f64>, Option<f64>)> = sweeps
        .iter()
        .map(|s| {
            let sat = s.saturation(Family::Sgd);
            (s.spec.clone(), s.summary.b_sgd, sat, sat.map(|b| b / s.summary.b_sgd))
        })
        .collect();
    let verdict = Verdict::all(rows.iter().map(|r| Verdict::within(r.3, lo, hi)));
    let summary = rows.iter().map(|r| format!("{}: {}", r.0, fmt(r.3))).collect::<Vec<_>>().join("; ");
    Ok(ClaimResult::new(
        spec,
        json!(rows.iter().map(|r| json!({"spectrum": r.0, "b_sgd": r.1})).collect::<Vec<_>>()),
        json!(rows.iter().map(|r| json!({"spectrum": r.0, "b_sat_sgd": r.2, "ratio": r.3})).collect::<Vec<_>>()),
        verdict,
        format!("B_sat(SGD)/(tr/L) = {summary}"),
    ))
}

/// C3: HB's B T(B) within `factor` of its B = 1 value for all B <= `fraction` B_hb; also the
/// log-log slope of the HB-over-SGD speedup between B_sgd and B_hb/4, by kappa.
fn perfect_parallelization(spec: &ClaimSpec, tol: &Tolerances, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let (factor, fraction) = (tol.get("factor")?, tol.get("fraction")?);
    let mut measured = Vec::new();
    let mut verdicts = Vec::new();
    let mut parts = Vec::new();
    for s in sweeps {
        let compute = s.compute(Family::Hb);
        let limit = fraction * s.summary.b_hb;
        let worst = s
            .batches
            .iter()
            .zip(&compute)
            .filter(|(b, _)| **b <= limit)
            .map(|(_, c)| c / compute[0])
            .fold(f64::NEG_INFINITY, f64::max);
        let worst = worst.is_finite().then_some(worst);
        let (t_sgd, t_hb) = (s.iterations(Family::Sgd), s.iterations(Family::Hb));
        let speedup: Vec<(f64, f64)> = s
            .batches
            .iter()
            .enumerate()
            .filter(|(_, b)| **b >= s.summary.b_sgd && **b <= s.summary.b_hb / 4.0)
            .map(|(k, b)| (*b, t_sgd[k] / t_hb[k]))
            .collect();
        let slope = log_log_slope(&speedup);
        verdicts.push(Verdict::at_most(worst, factor));
        parts.push(format!("{}: {} (slope {})", s.spec, fmt(worst), fmt(slope)));
        measured.push(json!({
            "spectrum": s.spec, "kappa": s.kappa(), "b_hb": s.summary.b_hb,
            "max_compute_ratio": worst, "speedup_slope": slope, "speedup_points": speedup.len(),
        }));
    }
    let mut by_kappa: Vec<(f64, Option<f64>)> =
        measured.iter().map(|m| (m["kappa"].as_f64().unwrap_or(0.0), m["speedup_slope"].as_f64())).collect();
    by_kappa.sort_by(|a, b| a.0.total_cmp(&b.0));
    let slopes: Vec<f64> = by_kappa.iter().filter_map(|k| k.1).collect();
    let rising = slopes.windows(2).all(|w| w[1] >= w[0]);
    Ok(ClaimResult::new(
        spec,
        json!({"compute_ratio_at_most": factor, "speedup_slope_tends_to": 1.0}),
        json!({"spectra": measured, "speedup_slope_rises_with_kappa": rising}),
        Verdict::all(verdicts),
        format!("max B·T(B)/T(1) for B <= B_hb/4: {}", parts.join("; ")),
    ))
}

/// C4: (B_sat(HB) / B_sat(SGD)) / sqrt(kappa) within [lo, hi] on each spectrum.
fn hb_window(spec: &ClaimSpec, tol: &Tolerances, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let (lo, hi) = (tol.get("lo")?, tol.get("hi")?);
    let mut measured = Vec::new();
    let mut verdicts = Vec::new();
    let mut parts = Vec::new();
    for s in sweeps {
        let (sgd, hb) = (s.saturation(Family::Sgd), s.saturation(Family::Hb));
        let ratio = sgd.zip(hb).map(|(a, b)| b / a / s.kappa().sqrt());
        verdicts.push(Verdict::within(ratio, lo, hi));
        parts.push(format!("kappa {:.0}: {}", s.kappa(), fmt(ratio)));
        measured
            .push(json!({"spectrum": s.spec, "kappa": s.kappa(), "b_sat_sgd": sgd, "b_sat_hb": hb, "ratio": ratio}));
    }
    Ok(ClaimResult::new(
        spec,
        json!({"b_sat_hb_over_b_sat_sgd": "sqrt(kappa)"}),
        json!(measured),
        Verdict::all(verdicts),
        format!("(B_sat(HB)/B_sat(SGD))/sqrt(kappa): {}", parts.join("; ")),
    ))
}

/// C5: max_B CE_HB / max_B CE_SGD <= `max_ratio` on every spectrum and its log-log slope against
/// kappa <= `max_slope`; ASGD's ratio is reported beside it.
fn efficiency_frontier(spec: &ClaimSpec, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let (max_ratio, max_slope) = (spec.tolerance("max_ratio")?, spec.tolerance("max_slope")?);
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
        rows.iter().map(|r| Verdict::at_most(Some(r.1), max_ratio)).chain([Verdict::at_most(slope, max_slope)]),
    );
    let parts: Vec<String> = rows.iter().map(|r| format!("kappa {:.0}: {:.3}", r.0, r.1)).collect();
    Ok(ClaimResult::new(
        spec,
        json!({"hb_over_sgd_best_ce": "O(1), not growing with kappa"}),
        json!({
            "spectra": rows.iter().map(|r| json!({"spectrum": r.3, "kappa": r.0, "hb_over_sgd": r.1, "asgd_over_sgd": r.2})).collect::<Vec<_>>(),
            "slope_vs_kappa": slope, "asgd_slope_vs_kappa": asgd_slope,
        }),
        verdict,
        format!("max CE_HB / max CE_SGD: {}; slope vs kappa {}", parts.join("; "), fmt(slope)),
    ))
}

/// C6 (Kidambi et al. / Jain et al.: ASGD accelerates where HB cannot): on the fast-decay
/// spectrum (claim file's first) CE_ASGD(1)/CE_HB(1) >= `fast_min`, on the slow-decay spectrum
/// (second) within [`slow_lo`, `slow_hi`]; on the fast one that ratio decreases with B while
/// ASGD's T(B) keeps falling, for B <= `range` B_hb (beyond HB's saturation both T(B) are flat at
/// their deterministic limits; the whole-grid monotonicity is reported too).
fn asgd_acceleration(spec: &ClaimSpec, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let (fast_min, slow_lo, slow_hi) =
        (spec.tolerance("fast_min")?, spec.tolerance("slow_lo")?, spec.tolerance("slow_hi")?);
    let range = spec.tolerance("range")?;
    let [fast, slow] = sweeps else {
        return Err(Error::Registry(format!("claim {} needs exactly two spectra (fast decay, slow decay)", spec.id)));
    };
    // CE_ASGD / CE_HB = T_HB / T_ASGD at equal B.
    let ratios = |s: &Sweep| -> Vec<f64> {
        s.iterations(Family::Hb).iter().zip(s.iterations(Family::Asgd)).map(|(h, a)| h / a).collect()
    };
    let (fast_ratios, slow_ratios) = (ratios(fast), ratios(slow));
    let t_asgd = fast.iterations(Family::Asgd);
    // "Decreases" and "keeps falling", allowing 1 % of rounding in integer iteration counts.
    let falls = |v: &[f64]| v.windows(2).all(|w| w[1] <= w[0] * 1.01);
    let inside = fast.batches.iter().take_while(|b| **b <= range * fast.summary.b_hb).count();
    let (ratio_falls, t_falls) = (falls(&fast_ratios[..inside]), falls(&t_asgd[..inside]));
    let verdict = Verdict::all([
        Verdict::at_least(Some(fast_ratios[0]), fast_min),
        Verdict::within(Some(slow_ratios[0]), slow_lo, slow_hi),
        Verdict::from_bool(ratio_falls && t_falls),
    ]);
    Ok(ClaimResult::new(
        spec,
        json!({"fast_decay_ce_ratio_at_b1_at_least": fast_min, "slow_decay_ce_ratio_at_b1_within": [slow_lo, slow_hi]}),
        json!({
            "fast": {
                "spectrum": fast.spec, "ce_asgd_over_hb": fast_ratios, "t_asgd": t_asgd,
                "checked_up_to_batch": fast.batches[inside.saturating_sub(1)],
                "ratio_decreases": ratio_falls, "t_asgd_decreases": t_falls,
                "ratio_decreases_on_whole_grid": falls(&fast_ratios), "t_asgd_decreases_on_whole_grid": falls(&t_asgd),
            },
            "slow": {"spectrum": slow.spec, "ce_asgd_over_hb": slow_ratios},
        }),
        verdict,
        format!(
            "CE_ASGD(1)/CE_HB(1): {:.3} ({}), {:.3} ({}); up to B = {}: ratio falls {ratio_falls}, T_ASGD falls {t_falls}",
            fast_ratios[0],
            fast.spec,
            slow_ratios[0],
            slow.spec,
            fast.batches[inside.saturating_sub(1)]
        ),
    ))
}

/// C8: the checks of C2, C3 and C4, with their tolerances (prefixed c2_, c3_, c4_ in the claim
/// file), on randomized Kaczmarz sweeps; pass iff all three pass.
fn kaczmarz_batches(spec: &ClaimSpec, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    type Check = fn(&ClaimSpec, &Tolerances, &[&Sweep]) -> Result<ClaimResult>;
    let checks: [(&str, &'static str, Check); 3] =
        [("C2", "c2_", sgd_critical_batch), ("C3", "c3_", perfect_parallelization), ("C4", "c4_", hb_window)];
    let parts = checks
        .iter()
        .map(|(id, prefix, check)| Ok((*id, check(spec, &Tolerances { spec, prefix }, sweeps)?)))
        .collect::<Result<Vec<_>>>()?;
    let by_id =
        |f: fn(&ClaimResult) -> Value| -> Value { parts.iter().map(|(id, r)| (id.to_string(), f(r))).collect() };
    Ok(ClaimResult::new(
        spec,
        by_id(|r| r.predicted.clone()),
        by_id(|r| json!({"verdict": r.verdict, "measured": r.measured})),
        Verdict::all(parts.iter().map(|(_, r)| r.verdict)),
        parts.iter().map(|(id, r)| format!("{id} {}: {}", r.verdict.name(), r.summary)).collect::<Vec<_>>().join(" | "),
    ))
}

/// A closed-form momentum rule: the method it picks at a batch size.
pub(crate) type Rule = fn(&Predictions) -> theory::Method;

/// The HB rules of THEORY.md §5 that C7 checks: (A) deterministic tuning with L_B, (B) with
/// L_B nu_B.
pub(crate) const RULES: [(&str, Rule); 2] = [("A", |p| p.hb_rule_a.method()), ("B", |p| p.hb_rule_b.method())];

/// C7: each closed-form HB rule of THEORY.md §5 ((A): deterministic tuning with L_B; (B): with
/// L_B nu_B) against tuned HB: T_rule(B)/T_tuned(B) <= `factor` at every B. Pass iff some rule
/// does so on every spectrum.
fn momentum_rule(spec: &ClaimSpec, sweeps: &[&Sweep]) -> Result<ClaimResult> {
    let factor = spec.tolerance("factor")?;
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
            verdicts.push(Verdict::from_bool(worst <= factor));
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
    Ok(ClaimResult::new(
        spec,
        json!({"t_rule_over_t_tuned_at_most": factor}),
        json!(measured),
        Verdict::any(rule_verdicts),
        format!("worst T_rule/T_tuned over B: {}", parts.join("; ")),
    ))
}
