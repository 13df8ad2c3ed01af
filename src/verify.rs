//! `momlab verify`: runs the claims of experiments/*.toml, prints the verdict table and writes
//! DIR/report.md, DIR/report.json and each claim's figures (DIR/<claim>-*.png and .svg).

use crate::output;
use anyhow::{Context, Result};
use compare::{Profile, registry};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// smoke (seconds, small spectra), quick (the README's main job) or full (paper quality).
    #[arg(long, default_value = "quick")]
    profile: String,
    /// Only these claims, e.g. C2,C4.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Output directory for report.md, report.json and the figures.
    #[arg(long, default_value = "results/verify")]
    out: PathBuf,
    /// Backend of the network claims (C9): flex, ndarray or wgpu (build with --features wgpu).
    #[arg(long, default_value = "flex")]
    backend: String,
    /// Float precision of the network claims: f64 or f32 (GPUs: f32).
    #[arg(long, default_value = "f64")]
    precision: String,
    /// Directory of the claim files.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments"))]
    experiments: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let profile: Profile = a.profile.parse()?;
    let training = compare::scaling::Training { backend: a.backend.parse()?, precision: a.precision.parse()? };
    let claims = compare::select(registry::load(&a.experiments)?, &a.only)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let bar = ProgressBar::new(compare::work(&claims, profile)?)
        .with_style(ProgressStyle::with_template("verify [{bar:30}] {pos}/{len} cells and runs, eta {eta}")?);
    let report = compare::verify(&claims, profile, training, Some(&a.out), &|| bar.inc(1))?;
    bar.finish_and_clear();
    output::write_atomically(&a.out.join("report.json"), |w| Ok(serde_json::to_writer_pretty(w, &report)?))?;
    output::write_atomically(&a.out.join("report.md"), |w| Ok(w.write_all(report.markdown().as_bytes())?))?;
    print!("{}", report.table());
    println!("report: {}", a.out.join("report.md").display());
    Ok(())
}
