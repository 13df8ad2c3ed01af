//! `momlab verify`: runs the claims of experiments/*.toml as a sweep (one cell per Gaussian
//! spectrum, Kaczmarz system and self-measuring claim; see `sweep`), then prints the verdict
//! table and writes DIR/report.md, DIR/report.json and each claim's figures
//! (`DIR/<claim>-*.png` and `.svg`).

use crate::budget::{self, Estimate};
use crate::output;
use crate::sweep::{Store, SweepArgs, Verbosity};
use anyhow::Result;
use compare::Training;
use compare::{ClaimSpec, Measurement, Profile, registry};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// smoke (seconds, small spectra), quick (the README's main job) or full (paper quality).
    #[arg(long, default_value = "quick")]
    profile: String,
    /// Only these claims, e.g. C2,C4.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Output directory: the sweep's manifest and cells, report.md, report.json and the figures
    /// [default: results/verify-PROFILE].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Backend of the network claims (C9, C10): flex, ndarray or wgpu (build with --features wgpu).
    #[arg(long, default_value = "flex")]
    backend: String,
    /// Float precision of the network claims: f64 or f32 (GPUs: f32).
    #[arg(long, default_value = "f64")]
    precision: String,
    /// Directory of the claim files.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments"))]
    experiments: PathBuf,
    #[command(flatten)]
    sweep: SweepArgs,
}

/// Everything the cells depend on: the manifest's config.
#[derive(Serialize, Deserialize)]
struct Config {
    profile: Profile,
    training: Training,
    /// The selected claims, in full.
    claims: Vec<ClaimSpec>,
}

pub fn run(a: Args, verbosity: Verbosity) -> Result<()> {
    let profile: Profile = a.profile.parse()?;
    let training = Training { backend: a.backend.parse()?, precision: a.precision.parse()? };
    check_claim_files(&a.experiments, profile)?;
    let claims = compare::select(registry::load(&a.experiments)?, &a.only)?;
    let units = compare::plan(&claims, profile)?;
    let weights = units.iter().map(|u| u.work(&claims, profile)).collect::<compare::Result<Vec<_>>>()?;
    let labels: Vec<String> = units.iter().map(compare::Unit::label).collect();
    let out = a.out.unwrap_or_else(|| PathBuf::from(format!("results/verify-{}", a.profile)));
    let config = serde_json::to_value(Config { profile, training, claims: claims.clone() })?;
    let store = Store::open(&out, "verify", config, seeds(&claims, profile), &labels, a.sweep.force)?;
    // The network claims step many small tensors: spread over two threads, Burn's operations
    // cost more CPU in waiting threads than they save (C9 quick alone: 31.7 CPU-s on one thread,
    // 39.3 on two; C10: 39.3 and 44.2). When other cells can use the other cores, each runs on
    // a thread of its own (a plain thread entering a one-thread pool, so that the worker that
    // took the cell waits instead of stealing more cells); the results do not depend on it.
    let measure = |p: usize, tick: &(dyn Fn() + Sync)| compare::measure(&units[p], &claims, profile, training, tick);
    let compute = |p: usize, tick: &(dyn Fn() + Sync)| {
        if units.len() > 1 && units[p].trains(&claims) {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
            let alone = std::thread::scope(|s| s.spawn(|| pool.install(|| measure(p, tick))).join());
            Ok(alone.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?)
        } else {
            Ok(measure(p, tick)?)
        }
    };
    // The claims that measure on their own first (the network ones, then C1's fixed
    // simulation), then the sweeps, most ticks first: the cheap Kaczmarz sweeps fill the end.
    let order: Vec<(bool, u64)> =
        units.iter().zip(&weights).map(|(u, &w)| (matches!(u, compare::Unit::Claim { .. }), w)).collect();
    store.run(a.sweep, &weights, &order, verbosity, compute, merge)
}

/// Refuses claim spectra that do not fit, before any is built (loading the claims builds every
/// spectrum of every profile to validate it): each spectrum listed in a claim file of `dir`,
/// with its tuned sweep (the exact theory on every thread, the tuning of each batch) and, for a
/// Kaczmarz claim, its generated rows_per_dim·d x d system and exact second moment (`budget`).
/// Files that do not parse are left to the loader, which reports them.
fn check_claim_files(dir: &Path, profile: Profile) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let points = (profile.batches().len() * 4) as f64;
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let Some(claim) = std::fs::read_to_string(&path).ok().and_then(|t| t.parse::<toml::Table>().ok()) else {
            continue;
        };
        let id = claim.get("id").and_then(|v| v.as_str()).map(String::from);
        let id = id.unwrap_or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
        let kaczmarz = claim.get("kind").and_then(|v| v.as_str()) == Some("kaczmarz_batch_laws");
        let rows_per_dim = claim
            .get("protocol")
            .and_then(|p| p.get("rows_per_dim"))
            .and_then(|v| v.as_integer())
            .map_or(4.0, |n| n as f64);
        let spectra = claim.get("spectra").and_then(|s| s.as_table());
        let specs = spectra.into_iter().flat_map(|t| t.values()).filter_map(|v| v.as_array()).flatten();
        for spec in specs.filter_map(|v| v.as_str()) {
            let cost = budget::spectrum(spec);
            let mut estimate = Estimate::new(cost.parts);
            if let Some(d) = cost.d {
                let threads = rayon::current_num_threads();
                estimate = estimate.with([budget::gaussian_theory(d, threads), budget::tuning(d, points)]);
                if kaczmarz {
                    let system = budget::SystemBuild::Generated;
                    estimate =
                        estimate.with(budget::finite_sum(d, rows_per_dim * d, system, false, "d in the spectrum"));
                }
            }
            budget::check(&format!("verify (claim {id}, spectrum {spec})"), &estimate)?;
        }
    }
    Ok(())
}

/// The seeds of the sweep: the Monte-Carlo T(B) points' and every `*seed` of the claims'
/// protocols (training seeds are 0..count of each claim's `*_seeds`).
fn seeds(claims: &[ClaimSpec], profile: Profile) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::from([("monte_carlo".to_string(), profile.monte_carlo().seed)]);
    for c in claims {
        for (name, value) in c.protocol.iter().filter(|(name, _)| name.ends_with("seed")) {
            if let Some(seed) = value.as_integer().or_else(|| value.as_float().map(|v| v as i64)) {
                out.insert(format!("{}.{name}", c.id), seed as u64);
            }
        }
    }
    out
}

/// Judges the claims from the finished cells and writes the report and figures.
pub fn merge(store: &mut Store) -> Result<()> {
    let config: Config = serde_json::from_value(store.manifest.config.clone())?;
    let measurements: Vec<Measurement> = store.load_all()?;
    let report = compare::judge(&config.claims, config.profile, measurements, Some(store.dir()))?;
    let dir = store.dir().to_path_buf();
    output::write_atomically(&dir.join("report.json"), |w| Ok(serde_json::to_writer_pretty(w, &report)?))?;
    output::write_atomically(&dir.join("report.md"), |w| Ok(w.write_all(report.markdown().as_bytes())?))?;
    store.finish()?;
    print!("{}", report.table());
    println!("report: {}", dir.join("report.md").display());
    Ok(())
}
