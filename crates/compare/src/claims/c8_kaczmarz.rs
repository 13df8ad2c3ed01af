//! C8: the forms of C2, C3 and C4 on randomized Kaczmarz (docs/theory.md §6): generated
//! consistent systems whose A^T A has each spectrum, rows drawn with replacement, T(B) from the
//! exact finite-sum recursion with SGD and HB tuned for it, and tr, L, μ those of
//! H = A^T A / |A|_F^2 (so tr/L is the system's stable rank). C2's and C3's forms are judged on
//! the claim's systems, C4's on its window family (the protocol's `window` spectra). Pass iff
//! all three pass.

use super::{Part, c2_critical_batch, c3_parallelization, c4_hb_window};
use crate::error::Result;
use crate::profile::Profile;
use crate::registry::{ClaimSpec, Spectra};
use crate::sweep::TunedSweep;
use crate::verdict::Verdict;
use serde::Deserialize;
use serde_json::{Value, json};

/// C8's tolerances: those of the C2, C3 and C4 forms.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub critical_batch: c2_critical_batch::Tolerance,
    pub parallelization: c3_parallelization::Tolerance,
    pub window: c4_hb_window::Tolerance,
}

/// C8's protocol: the generated systems' shape and seed, and the window family.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// n = rows_per_dim · d rows.
    pub rows_per_dim: usize,
    pub seed: u64,
    /// One spectral shape at several κ, per profile (C4's form).
    pub window: Spectra,
}

/// Checks the typed tolerances and protocol at load.
pub fn validate(spec: &ClaimSpec) -> Result<()> {
    spec.typed::<Tolerance>()?;
    let protocol: Protocol = spec.typed_protocol()?;
    protocol.window.all().try_for_each(|s| s.parse::<theory::Spectrum>().map(drop))?;
    Ok(())
}

/// Every spectrum C8 measures under `profile`: its systems, then the window family's.
pub fn spectra(spec: &ClaimSpec, profile: Profile) -> Result<Vec<String>> {
    let protocol: Protocol = spec.typed_protocol()?;
    let mut out = profile.spectra(spec).to_vec();
    out.extend(profile.pick(&protocol.window).iter().filter(|s| !out.contains(s)).cloned().collect::<Vec<_>>());
    Ok(out)
}

/// The sweeps of [`spectra`] split into the claim's systems and its window family.
pub fn split<'a>(spec: &ClaimSpec, sweeps: &[&'a TunedSweep]) -> Result<(Vec<&'a TunedSweep>, Vec<&'a TunedSweep>)> {
    let protocol: Protocol = spec.typed_protocol()?;
    let listed = |lists: &Spectra, s: &TunedSweep| lists.all().any(|w| *w == s.spec);
    let systems = sweeps.iter().filter(|s| spec.spectra.as_ref().is_some_and(|l| listed(l, s))).copied().collect();
    let window = sweeps.iter().filter(|s| listed(&protocol.window, s)).copied().collect();
    Ok((systems, window))
}

/// The three forms on the sweeps of [`spectra`] (in its order).
pub fn check(spec: &ClaimSpec, sweeps: &[&TunedSweep]) -> Result<Part> {
    let tol: Tolerance = spec.typed()?;
    let (systems, window) = split(spec, sweeps)?;
    let parts = [
        ("C2", c2_critical_batch::check(&tol.critical_batch, &systems)),
        ("C3", c3_parallelization::check(&tol.parallelization, &systems)),
        ("C4", c4_hb_window::check(&tol.window, &window)),
    ];
    let by_id = |f: fn(&Part) -> Value| -> Value { parts.iter().map(|(id, p)| (id.to_string(), f(p))).collect() };
    Ok(Part {
        predicted: by_id(|p| p.predicted.clone()),
        measured: by_id(|p| json!({"verdict": p.verdict, "measured": p.measured})),
        verdict: Verdict::all(parts.iter().map(|(_, p)| p.verdict)),
        summary: parts
            .iter()
            .map(|(id, p)| format!("{id} {}: {}", p.verdict.name(), p.summary))
            .collect::<Vec<_>>()
            .join(" | "),
    })
}
