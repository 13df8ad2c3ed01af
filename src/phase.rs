//! `momlab phase`: the tuned phase diagram over batch sizes.

use crate::args::{self, ObjectiveArg, TargetArgs};
use crate::output::{self, cell};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use theory::{Family, Objective, PhaseOptions, PhaseRow, SpectrumSummary, Target, phase_with_progress};

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
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Print a JSON summary (saturation batch per method, predictions, rows) on stdout.
    #[arg(long)]
    json: bool,
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

pub fn run(a: Args) -> Result<()> {
    let spectrum = args::spectrum(&a.spectrum)?;
    let target = a.target.target()?;
    if a.batches.iter().any(|b| b.is_infinite()) {
        anyhow::bail!("--batches must be finite (B T(B) is the compute)");
    }
    let bar = ProgressBar::new((a.methods.len() * a.batches.len()) as u64)
        .with_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} cells, eta {eta}")?)
        .with_message("tuning");
    let options = PhaseOptions { objective: a.objective.into(), target, exact: !a.asymptotic_only };
    let diagram = phase_with_progress(&spectrum, &a.methods, &a.batches, options, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let rows: Vec<CsvRow> = diagram.rows.iter().map(CsvRow::from).collect();
    if let Some(path) = &a.csv {
        output::write_csv(path, &rows)?;
    }
    let summary = spectrum.summary();
    if a.json {
        return output::print_json(&Summary {
            objective: diagram.options.objective,
            target,
            saturation: diagram.saturation.iter().map(|s| (s.family, s.batch)).collect(),
            predicted: BTreeMap::from([("b_sgd", summary.b_sgd), ("b_hb", summary.b_hb)]),
            spectrum: summary,
            rows,
        });
    }
    println!(
        "{:<6} {:>8} {:>10} {:>9} {:>12} {:>10} {:>12} {:>9} {:>14}",
        "method", "batch", "lr", "momentum", "rate", "e-fold", "T(B)", "T exact", "B*T(B)"
    );
    for r in &rows {
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
    println!("predicted: B_sgd = {:.4}, B_hb = {:.4}", summary.b_sgd, summary.b_hb);
    for s in &diagram.saturation {
        println!("measured saturation batch ({}): {}", s.family, cell(s.batch, 3));
    }
    Ok(())
}
