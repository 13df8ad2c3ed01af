//! `momlab phase`: the tuned phase diagram over batch sizes; with `--out DIR` a sweep of one
//! cell per method (its batches tuned in order, each warm-started from the one before) that resumes and shards (see `sweep`), merged into DIR/phase.csv and
//! DIR/phase.json.

use crate::args::{self, ObjectiveArg, TargetArgs};
use crate::budget;
use crate::output::{self, cell};
use crate::sweep::{Store, SweepArgs, Verbosity, progress};
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use theory::phase::{assemble, grid, phase_family};
use theory::{Family, Objective, PhaseDiagram, PhaseOptions, PhaseRow, SpectrumSummary, Target, phase_with_progress};

#[derive(clap::Args)]
pub struct Args {
    /// Spectrum specification, e.g. power:d=1000,a=1.0.
    #[arg(long)]
    spectrum: String,
    /// Comma-separated methods: sgd, hb, nag, asgd.
    #[arg(long, default_value = "sgd,hb,nag,asgd", value_delimiter = ',', value_parser = args::family)]
    methods: Vec<Family>,
    /// Comma-separated, strictly increasing batch sizes.
    #[arg(long, default_value = "1,2,4,8,16,32,64,128,256,512,1024", value_delimiter = ',', value_parser = args::batch)]
    batches: Vec<f64>,
    /// What the tuning minimises: the asymptotic rate, or T(eps) from the exact curve.
    #[arg(long, value_enum, default_value = "rate")]
    objective: ObjectiveArg,
    #[command(flatten)]
    target: TargetArgs,
    /// Under --objective rate, skip the exact curve at each tuned point (iterations_to_target
    /// stays empty; faster).
    #[arg(long)]
    asymptotic_only: bool,
    /// Write one row per (method, batch) to this CSV file.
    #[arg(long, conflicts_with = "out")]
    csv: Option<PathBuf>,
    /// Print a JSON summary (saturation batch per method, predictions, rows) on stdout.
    #[arg(long, conflicts_with = "out")]
    json: bool,
    /// Run as a sweep in this directory (manifest, one cell per method, resume,
    /// --shard), merged into DIR/phase.csv and DIR/phase.json.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    sweep: SweepArgs,
}

/// Everything the cells depend on: the manifest's config.
#[derive(Serialize, Deserialize)]
struct Config {
    spectrum: String,
    /// SHA-256 of the eigenvalues (little-endian f64), so that a changed spectrum file is a
    /// different sweep.
    eigenvalues_sha256: String,
    summary: SpectrumSummary,
    methods: Vec<Family>,
    batches: Vec<f64>,
    options: PhaseOptions,
}

/// One CSV row: flat columns that pandas reads.
#[derive(Serialize)]
struct CsvRow {
    method: Family,
    batch: f64,
    lr: f64,
    momentum: Option<f64>,
    long_step: Option<f64>,
    xi: Option<f64>,
    rate: f64,
    efold: Option<f64>,
    iterations: Option<f64>,
    iterations_asymptotic: Option<f64>,
    iterations_to_target: Option<usize>,
    compute: Option<f64>,
    ce: Option<f64>,
}

impl From<&PhaseRow> for CsvRow {
    fn from(r: &PhaseRow) -> Self {
        let (long_step, xi) = match r.method {
            theory::Method::Asgd { long_step, xi, .. } => (Some(long_step), Some(xi)),
            _ => (None, None),
        };
        CsvRow {
            method: r.family,
            batch: r.batch,
            lr: r.method.lr(),
            momentum: r.method.momentum(),
            long_step,
            xi,
            rate: r.assessment.rate,
            efold: r.assessment.efold,
            iterations: r.iterations,
            iterations_asymptotic: r.assessment.iterations_asymptotic,
            iterations_to_target: r.assessment.iterations_to_target,
            compute: r.compute,
            ce: r.compute.map(|c| 1.0 / c),
        }
    }
}

#[derive(Serialize)]
struct Summary {
    spectrum: SpectrumSummary,
    objective: Objective,
    target: Target,
    /// Measured saturation batch per method (null: B T(B) never doubled on the grid).
    saturation: BTreeMap<Family, Option<f64>>,
    /// Predicted B_sgd = tr/L and B_hb = tr/sqrt(L mu).
    predicted: BTreeMap<&'static str, f64>,
    rows: Vec<CsvRow>,
}

pub fn run(a: Args, verbosity: Verbosity) -> Result<()> {
    let target = a.target.target()?;
    if a.batches.iter().any(|b| b.is_infinite()) {
        bail!("--batches must be finite (B T(B) is the compute)");
    }
    let points = (a.methods.len() * a.batches.len()) as f64;
    let needs = |d: f64| {
        let mut parts = vec![budget::gaussian_theory(d, rayon::current_num_threads()), budget::tuning(d, points)];
        let curves = match (a.objective, a.asymptotic_only) {
            (ObjectiveArg::Target, _) => points * budget::TUNING_EVALUATIONS,
            (ObjectiveArg::Rate, false) => points,
            (ObjectiveArg::Rate, true) => 0.0,
        };
        parts.push(budget::exact_curve_bound(d, target.max_steps as f64, curves));
        parts
    };
    let spectrum = args::spectrum_within("phase", &a.spectrum, needs)?;
    let seconds = budget::Estimate::new(needs(spectrum.d() as f64)).seconds(rayon::current_num_threads());
    budget::announce("phase", seconds, verbosity == Verbosity::Quiet);
    let options = PhaseOptions { objective: a.objective.into(), target, exact: !a.asymptotic_only };
    let cells = grid(&a.methods, &a.batches)?;
    let Some(out) = &a.out else {
        if a.sweep.shard.is_some() || a.sweep.force {
            bail!("--shard and --force apply to a sweep: add --out DIR");
        }
        let bar = progress(cells.len() as u64, verbosity, "phase", None);
        let diagram = phase_with_progress(&spectrum, &a.methods, &a.batches, options, &|| bar.inc(1))?;
        bar.finish_and_clear();
        return show(&diagram, spectrum.summary(), a.csv.as_deref(), a.json);
    };
    let bytes: Vec<u8> = spectrum.eigenvalues().iter().flat_map(|l| l.to_le_bytes()).collect();
    let config = Config {
        spectrum: a.spectrum.clone(),
        eigenvalues_sha256: crate::sweep::sha256(&bytes),
        summary: spectrum.summary(),
        methods: a.methods.clone(),
        batches: a.batches.clone(),
        options,
    };
    let labels: Vec<String> = a.methods.iter().map(|f| f.to_string()).collect();
    let store = Store::open(out, "phase", serde_json::to_value(config)?, BTreeMap::new(), &labels, a.sweep.force)?;
    let compute =
        |p: usize, tick: &(dyn Fn() + Sync)| Ok(phase_family(&spectrum, a.methods[p], &a.batches, options, tick)?);
    let weights = vec![a.batches.len() as u64; a.methods.len()];
    store.run(a.sweep, &weights, &weights, verbosity, compute, merge)
}

/// The diagram from the finished cells: DIR/phase.csv, DIR/phase.json and the table.
pub fn merge(store: &mut Store) -> Result<()> {
    let config: Config = serde_json::from_value(store.manifest.config.clone())?;
    let rows: Vec<Vec<PhaseRow>> = store.load_all()?;
    let diagram = assemble(&config.methods, &config.batches, config.options, rows.into_iter().flatten().collect());
    let dir = store.dir().to_path_buf();
    let summary = summary(&diagram, config.summary);
    output::write_csv(&dir.join("phase.csv"), &summary.rows)?;
    output::write_atomically(&dir.join("phase.json"), |w| Ok(serde_json::to_writer_pretty(w, &summary)?))?;
    store.finish()?;
    table(&summary);
    Ok(())
}

fn summary(diagram: &PhaseDiagram, spectrum: SpectrumSummary) -> Summary {
    Summary {
        objective: diagram.options.objective,
        target: diagram.options.target,
        saturation: diagram.saturation.iter().map(|s| (s.family, s.batch)).collect(),
        predicted: BTreeMap::from([("b_sgd", spectrum.b_sgd), ("b_hb", spectrum.b_hb)]),
        spectrum,
        rows: diagram.rows.iter().map(CsvRow::from).collect(),
    }
}

/// The outputs of an in-memory diagram: CSV file, JSON or the table on stdout.
fn show(diagram: &PhaseDiagram, spectrum: SpectrumSummary, csv: Option<&std::path::Path>, json: bool) -> Result<()> {
    let summary = summary(diagram, spectrum);
    if let Some(path) = csv {
        output::write_csv(path, &summary.rows)?;
    }
    if json {
        return output::print_json(&summary);
    }
    table(&summary);
    Ok(())
}

fn table(summary: &Summary) {
    println!(
        "{:<6} {:>8} {:>10} {:>9} {:>12} {:>10} {:>12} {:>9} {:>14}",
        "method", "batch", "lr", "momentum", "rate", "e-fold", "T(B)", "T exact", "B*T(B)"
    );
    for r in &summary.rows {
        println!(
            "{:<6} {:>8} {:>10.5} {:>9} {:>12.8} {:>10} {:>12} {:>9} {:>14}",
            r.method.name(),
            r.batch,
            r.lr,
            cell(r.momentum, 5),
            r.rate,
            cell(r.efold, 3),
            cell(r.iterations, 1),
            cell(r.iterations_to_target.map(|t| t as f64), 0),
            cell(r.compute, 1),
        );
    }
    println!("predicted: B_sgd = {:.4}, B_hb = {:.4}", summary.spectrum.b_sgd, summary.spectrum.b_hb);
    for (family, batch) in &summary.saturation {
        println!("measured saturation batch ({family}): {}", cell(*batch, 3));
    }
}
