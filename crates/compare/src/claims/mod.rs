//! The checks of the claims measured on tuned phase diagrams, one module per claim (C2–C8;
//! docs/theory.md §1, §5). Each module owns its typed tolerances, its measurement on the sweeps
//! of its spectra and its verdict; [`evaluate`] dispatches once, by the claim file's `kind`.
//! The claims that measure on their own are C1 ([`c1_exactness`], Monte Carlo), C9
//! ([`c9_momentum_scaling`], networks) and C10 ([`c10_batch_transfer`], networks).

pub mod c10_batch_transfer;
pub mod c1_exactness;
pub mod c2_critical_batch;
pub mod c3_parallelization;
pub mod c4_hb_window;
pub mod c5_frontier;
pub mod c6_asgd;
pub mod c7_momentum_rule;
pub mod c8_kaczmarz;
pub mod c9_momentum_scaling;

use crate::error::{Error, Result};
use crate::registry::{ClaimSpec, Kind};
use crate::sweep::TunedSweep;
use crate::verdict::{ExponentCheck, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A claim's typed measurement as report.json's `measured`.
pub(crate) fn measured_json<T: Serialize>(measured: &T) -> Result<Value> {
    serde_json::to_value(measured).map_err(|e| Error::Registry(format!("measurement: {e}")))
}

/// Claim `id`'s typed measurement read back from report.json's `measured` (its figures).
pub(crate) fn read_measured<T: serde::de::DeserializeOwned>(id: &str, measured: &Value) -> Result<T> {
    T::deserialize(measured).map_err(|e| Error::Registry(format!("{id}: measured: {e}")))
}

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
    /// One line for the verdict table, with the margin.
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

    fn from_part(spec: &ClaimSpec, part: Part) -> Self {
        ClaimResult::new(spec, part.predicted, part.measured, part.verdict, part.summary)
    }
}

/// What one check found: the pieces of a [`ClaimResult`] without the claim's identity, so that
/// C8 can hold the C2–C4 checks as parts.
#[derive(Clone, Debug)]
pub struct Part {
    pub predicted: Value,
    pub measured: Value,
    pub verdict: Verdict,
    pub summary: String,
}

/// Evaluates claim `spec` on the sweeps of its spectra (in the claim file's order; C8: its
/// systems, then its window family's).
pub fn evaluate(spec: &ClaimSpec, sweeps: &[&TunedSweep]) -> Result<ClaimResult> {
    let part = match spec.kind {
        Kind::SgdCriticalBatch => c2_critical_batch::check(&spec.typed()?, sweeps),
        Kind::PerfectParallelization => c3_parallelization::check(&spec.typed()?, sweeps),
        Kind::HbWindow => c4_hb_window::check(&spec.typed()?, sweeps),
        Kind::EfficiencyFrontier => c5_frontier::check(&spec.typed()?, sweeps),
        Kind::AsgdAcceleration => c6_asgd::check(&spec.typed()?, sweeps)?,
        Kind::MomentumRule => c7_momentum_rule::check(&spec.typed()?, &spec.typed_protocol()?, sweeps)?,
        Kind::KaczmarzBatchLaws => c8_kaczmarz::check(spec, sweeps)?,
        Kind::Exactness | Kind::MomentumScaling | Kind::BatchTransfer => {
            return Err(Error::Registry(format!("claim {} measures on its own, not on sweeps", spec.id)));
        }
    };
    Ok(ClaimResult::from_part(spec, part))
}

/// Checks at load that the claim file holds what its kind reads (typed tolerances and protocol,
/// unknown fields refused).
pub fn validate(spec: &ClaimSpec) -> Result<()> {
    match spec.kind {
        Kind::SgdCriticalBatch => spec.typed::<c2_critical_batch::Tolerance>().map(drop),
        Kind::PerfectParallelization => spec.typed::<c3_parallelization::Tolerance>().map(drop),
        Kind::HbWindow => spec.typed::<c4_hb_window::Tolerance>().map(drop),
        Kind::EfficiencyFrontier => spec.typed::<c5_frontier::Tolerance>().map(drop),
        Kind::AsgdAcceleration => spec.typed::<c6_asgd::Tolerance>().map(drop),
        Kind::MomentumRule => {
            spec.typed::<c7_momentum_rule::Tolerance>()?;
            let protocol: c7_momentum_rule::Protocol = spec.typed_protocol()?;
            protocol.training.iter().try_for_each(|s| s.parse::<theory::Spectrum>().map(drop))?;
            Ok(())
        }
        Kind::KaczmarzBatchLaws => c8_kaczmarz::validate(spec),
        Kind::MomentumScaling => c9_momentum_scaling::validate(spec),
        Kind::BatchTransfer => c10_batch_transfer::validate(spec),
        Kind::Exactness => {
            spec.typed::<c1_exactness::Tolerance>()?;
            spec.typed_protocol::<c1_exactness::Protocol>().map(drop)
        }
    }
}

/// A scaling law y ∝ x across a family of spectra, judged as an exponent ([`ExponentCheck`])
/// with the constant y/x reported (median and range) and how many constants fall in the claim's
/// former per-spectrum window.
pub(crate) struct FamilyLaw {
    pub exponent: ExponentCheck,
    pub constant: Option<(f64, f64, f64)>,
    /// log10 of the spread of x over the family.
    pub decades: f64,
    pub measured: Value,
}

/// The law over `rows` = (spectrum, x, y or None when not measured); `names` are the JSON names
/// of x and y.
pub(crate) fn family_law(
    rows: &[(String, f64, Option<f64>)],
    names: (&str, &str),
    slope: [f64; 2],
    interval: Option<[f64; 2]>,
    window: [f64; 2],
) -> FamilyLaw {
    let points: Vec<(f64, f64)> = rows.iter().filter_map(|r| r.2.map(|y| (r.1, y))).collect();
    let exponent = ExponentCheck::new(&points, slope, interval);
    let constants: Vec<f64> = points.iter().map(|(x, y)| y / x).collect();
    let constant = median_range(&constants);
    let xs = rows.iter().map(|r| r.1);
    let decades = (xs.clone().fold(f64::NEG_INFINITY, f64::max) / xs.fold(f64::INFINITY, f64::min)).log10();
    let inside = constants.iter().filter(|c| **c >= window[0] && **c <= window[1]).count();
    let measured = json!({
        "spectra": rows.iter().map(|r| json!({
            "spectrum": r.0, names.0: r.1, names.1: r.2, "constant": r.2.map(|y| y / r.1),
        })).collect::<Vec<_>>(),
        "exponent": exponent,
        "decades": decades,
        "constant": constant.map(|(m, a, b)| json!({"median": m, "min": a, "max": b})),
        "reported_window": {"window": window, "inside": inside, "of": constants.len()},
    });
    FamilyLaw { exponent, constant, decades, measured }
}

/// "median 2.666 (range 1.295–5.072)" of a law's constant.
pub(crate) fn describe_constant(constant: Option<(f64, f64, f64)>) -> String {
    format!(
        "median {} (range {}–{})",
        fmt(constant.map(|c| c.0)),
        fmt(constant.map(|c| c.1)),
        fmt(constant.map(|c| c.2))
    )
}

/// "0.912" or "-" for a missing value.
pub(crate) fn fmt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.3}"))
}

/// The median and range of `values` (None when empty).
pub(crate) fn median_range(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) };
    Some((median, v[0], v[n - 1]))
}
