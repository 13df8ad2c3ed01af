//! Sweeps that scale out and survive. A long command is a list of independent cells; each
//! finished cell is written atomically (temporary file, then rename) to `DIR/cells/<key>.json`,
//! and `DIR/manifest.json` holds the full configuration, its SHA-256, the seeds, the git commit,
//! crate versions and the start/end times.
//!
//! - Resume: re-running the same command with the same build skips the cells already in
//!   `DIR/cells`; `--force` recomputes them (and replaces a directory that holds a sweep of
//!   another configuration or of another build).
//! - Sharding: `--shard i/n` computes only the cells at positions p with p mod n = i - 1, so n
//!   processes (a Slurm array, GNU parallel) share one sweep; `momlab merge DIR`, or the next
//!   unsharded run of the command, combines the cells into the command's outputs.
//!
//! Cells are computed one after another (each parallel inside), and a cell's bytes depend only on
//! the configuration, so the merged outputs are the same for any sharding, thread count or
//! interruption.

use crate::output;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `--shard i/n`: shard i (1-based) of n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Whether the cell at `position` (0-based) is this shard's.
    pub fn owns(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parsed = s.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if 1 <= index && index <= count => Ok(Shard { index, count }),
            _ => Err(format!("shard must be i/n with 1 <= i <= n, got '{s}'")),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The options every sweep command takes.
#[derive(clap::Args, Clone, Copy)]
pub struct SweepArgs {
    /// Compute only the cells of shard i of n (1-based, e.g. 2/8); combine the shards with
    /// `momlab merge DIR`.
    #[arg(long, value_parser = clap::value_parser!(Shard))]
    pub shard: Option<Shard>,
    /// Recompute finished cells, and replace an output directory that holds another sweep.
    #[arg(long)]
    pub force: bool,
}

/// How chatty a command is (global `--quiet`/`--verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// DIR/manifest.json.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The command that made the sweep (`verify`, `phase`).
    pub command: String,
    /// Everything the cells depend on.
    pub config: Value,
    /// SHA-256 of the command, the config and the cell keys (compact JSON, keys sorted).
    pub config_hash: String,
    /// Every seed the cells draw from, by name (empty where nothing is random).
    pub seeds: BTreeMap<String, u64>,
    /// The cells, by key (file `cells/<key>.json`), in sweep order.
    pub cells: Vec<String>,
    /// SHA-256 of the momlab binary that computes the cells: a sweep resumes only with the same
    /// build (all shards must run one binary).
    pub build: String,
    /// The commit the binary was built from, when built from a git checkout.
    pub git_commit: Option<String>,
    /// Versions of the compiler and the crates the numbers depend on.
    pub versions: BTreeMap<String, String>,
    /// When the sweep was first started (UTC, RFC 3339).
    pub started: String,
    /// When its outputs were last merged; null until then.
    pub finished: Option<String>,
}

/// A sweep's output directory.
pub struct Store {
    dir: PathBuf,
    pub manifest: Manifest,
}

/// What one shard's invocation did.
struct Ran {
    computed: usize,
    skipped: usize,
}

fn now() -> String {
    let format = time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::now_utc().replace_nanosecond(0).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// The compiler's and the numerically relevant crates' versions (from the Cargo.lock the binary
/// was built with).
fn versions() -> BTreeMap<String, String> {
    const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
    const CRATES: [&str; 14] = [
        "momentum-lab",
        "momlab-theory",
        "momlab-sim",
        "momlab-nn",
        "momlab-compare",
        "burn",
        "burn-ndarray",
        "burn-wgpu",
        "nalgebra",
        "rand",
        "rand_distr",
        "statrs",
        "plotters",
        "serde_json",
    ];
    let mut out = BTreeMap::from([("rustc".to_string(), env!("MOMLAB_RUSTC").to_string())]);
    let lock: toml::Table = LOCK.parse().unwrap_or_default();
    for package in lock.get("package").and_then(|p| p.as_array()).into_iter().flatten() {
        let field = |k: &str| package.get(k).and_then(|v| v.as_str());
        if let (Some(name), Some(version)) = (field("name"), field("version"))
            && CRATES.contains(&name)
        {
            out.entry(name.to_string())
                .and_modify(|v: &mut String| *v = format!("{v}, {version}"))
                .or_insert_with(|| version.to_string());
        }
    }
    out
}

/// A cell's file name: its position (zero-padded) and its label with every character outside
/// [A-Za-z0-9.=-] replaced by `_`.
fn key(position: usize, total: usize, label: &str) -> String {
    let width = total.to_string().len().max(3);
    let clean: String =
        label.chars().take(80).map(|c| if c.is_ascii_alphanumeric() || ".=-".contains(c) { c } else { '_' }).collect();
    format!("{position:0width$}-{clean}")
}

impl Store {
    /// Opens `dir` for a sweep of `command` over cells named by `labels`: creates the directory and
    /// its manifest, or checks that the manifest there is of the same configuration. Nothing is
    /// written unless the configuration matches (or `force` replaces the old sweep).
    pub fn open(
        dir: &Path,
        command: &str,
        config: Value,
        seeds: BTreeMap<String, u64>,
        labels: &[String],
        force: bool,
    ) -> Result<Store> {
        let cells: Vec<String> = labels.iter().enumerate().map(|(i, l)| key(i, labels.len(), l)).collect();
        let identity = json!({ "command": command, "config": config, "cells": cells });
        let hash = sha256(&serde_json::to_vec(&identity)?);
        let path = dir.join("manifest.json");
        let build = build()?;
        if path.exists() {
            let old = read_manifest(dir)?;
            let (same_config, same_build) = (old.config_hash == hash, old.build == build);
            if same_config && same_build {
                std::fs::create_dir_all(dir.join("cells"))
                    .with_context(|| format!("cannot create {}", dir.join("cells").display()))?;
                return Ok(Store { dir: dir.into(), manifest: old });
            }
            if !force && !same_config {
                bail!(
                    "{} holds a different {} sweep (config {} here, {} asked); pass --force to replace it or choose another output directory",
                    dir.display(),
                    old.command,
                    &old.config_hash[..12],
                    &hash[..12]
                );
            }
            if !force {
                bail!(
                    "{} holds cells computed by another build of momlab (binary {}, commit {}); pass --force to recompute them with this build (binary {}) or choose another output directory",
                    dir.display(),
                    &old.build[..12],
                    old.git_commit.as_deref().unwrap_or("unknown"),
                    &build[..12]
                );
            }
            tracing::warn!("--force: replacing the {} sweep in {}", old.command, dir.display());
            let stale = dir.join("cells");
            if stale.exists() {
                std::fs::remove_dir_all(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
            }
        }
        std::fs::create_dir_all(dir.join("cells")).with_context(|| format!("cannot create {}", dir.display()))?;
        let manifest = Manifest {
            command: command.into(),
            config,
            config_hash: hash,
            seeds,
            cells,
            build,
            git_commit: git_commit(),
            versions: versions(),
            started: now(),
            finished: None,
        };
        let store = Store { dir: dir.into(), manifest };
        store.write_manifest()?;
        Ok(store)
    }

    /// The sweep in `dir` (for `momlab merge`).
    pub fn existing(dir: &Path) -> Result<Store> {
        Ok(Store { dir: dir.into(), manifest: read_manifest(dir)? })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn cell_path(&self, position: usize) -> PathBuf {
        self.dir.join("cells").join(format!("{}.json", self.manifest.cells[position]))
    }

    fn write_manifest(&self) -> Result<()> {
        output::write_atomically(&self.dir.join("manifest.json"), |w| {
            Ok(serde_json::to_writer_pretty(w, &self.manifest)?)
        })
    }

    /// Computes this shard's cells (all cells without a shard) that are not finished yet, or all of
    /// them with `force`; `compute(position, tick)` computes one cell and calls `tick` as it
    /// goes. `weights[p]` is the number of ticks cell p makes: the progress bar counts ticks,
    /// cells done / total in its message. Cells start in decreasing `order[p]` (ties in plan
    /// order). Then, without a shard, `merge` writes the command's outputs; a shard reports what
    /// is left instead.
    pub fn run<T: Serialize, K: Ord>(
        mut self,
        sweep: SweepArgs,
        weights: &[u64],
        order: &[K],
        verbosity: Verbosity,
        compute: impl Fn(usize, &(dyn Fn() + Sync)) -> Result<T> + Sync,
        merge: fn(&mut Store) -> Result<()>,
    ) -> Result<()> {
        let total = self.manifest.cells.len();
        let mine: Vec<usize> = (0..total).filter(|&p| sweep.shard.is_none_or(|s| s.owns(p))).collect();
        let (todo, done): (Vec<usize>, Vec<usize>) =
            mine.iter().partition(|&&p| sweep.force || !self.cell_path(p).exists());
        let bar = progress(mine.iter().map(|&p| weights[p]).sum(), verbosity, &self.manifest.command, sweep.shard);
        bar.set_position(done.iter().map(|&p| weights[p]).sum());
        let message = |n: usize| format!("{n}/{} cells", mine.len());
        bar.set_message(message(done.len()));
        for &p in &done {
            tracing::info!("cell {} already finished: skipped", self.manifest.cells[p]);
        }
        // Cells are independent and each writes its own file, so they run in parallel; every
        // output is the same whatever the order they finish in. The threads take them from one
        // queue, in the caller's order (the longest first), so that the long cells do not start
        // last and run alone at the end.
        let mut queue = todo.clone();
        queue.sort_by(|&a, &b| order[b].cmp(&order[a]));
        let finished = AtomicUsize::new(done.len());
        let computed: Result<()> = queue.into_iter().par_bridge().try_for_each(|p| {
            let name = &self.manifest.cells[p];
            tracing::info!("cell {name}: computing");
            let start = std::time::Instant::now();
            let value = compute(p, &|| bar.inc(1))?;
            output::write_atomically(&self.cell_path(p), |w| Ok(serde_json::to_writer(w, &value)?))?;
            bar.set_message(message(finished.fetch_add(1, Ordering::Relaxed) + 1));
            tracing::info!("cell {name}: done in {:.2} s", start.elapsed().as_secs_f64());
            Ok(())
        });
        // Cleared on failure too, so that the error line stands alone.
        bar.finish_and_clear();
        computed?;
        match sweep.shard {
            Some(shard) => {
                self.report_shard(shard, Ran { computed: todo.len(), skipped: done.len() }, verbosity);
                Ok(())
            }
            None => merge(&mut self),
        }
    }

    /// The positions of the cells not finished yet.
    pub fn missing(&self) -> Vec<usize> {
        (0..self.manifest.cells.len()).filter(|&p| !self.cell_path(p).exists()).collect()
    }

    /// Every cell's value, in sweep order: an error naming the first missing cell unless all are
    /// finished. Temporary files left by interrupted writes are removed.
    pub fn load_all<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let missing = self.missing();
        if let Some(&first) = missing.first() {
            bail!(
                "{}: {} of {} cells are not finished (first: {}); run the remaining shards, or the command without --shard",
                self.dir.display(),
                missing.len(),
                self.manifest.cells.len(),
                self.manifest.cells[first]
            );
        }
        self.remove_temporaries()?;
        (0..self.manifest.cells.len())
            .map(|p| {
                let path = self.cell_path(p);
                let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a cell of this sweep (delete it to recompute)", path.display()))
            })
            .collect()
    }

    fn remove_temporaries(&self) -> Result<()> {
        for entry in std::fs::read_dir(self.dir.join("cells"))? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".tmp")) {
                std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// Stamps the end time after the outputs were merged.
    pub fn finish(&mut self) -> Result<()> {
        self.manifest.finished = Some(now());
        self.write_manifest()
    }

    /// One line on stderr after a shard's run (nothing under --quiet).
    fn report_shard(&self, shard: Shard, ran: Ran, verbosity: Verbosity) {
        if verbosity != Verbosity::Quiet {
            let left = self.missing().len();
            eprintln!(
                "shard {shard}: {} cells computed, {} already finished; {left} of {} cells of the sweep left{}",
                ran.computed,
                ran.skipped,
                self.manifest.cells.len(),
                if left == 0 {
                    format!("; combine them with `momlab merge {}`", self.dir.display())
                } else {
                    String::new()
                }
            );
        }
    }
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{} is not a sweep directory: cannot read {}", dir.display(), path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a momlab sweep manifest", path.display()))
}

/// SHA-256 of the running executable.
fn build() -> Result<String> {
    let exe = std::env::current_exe().context("cannot locate the momlab executable")?;
    Ok(sha256(&std::fs::read(&exe).with_context(|| format!("cannot read {}", exe.display()))?))
}

fn git_commit() -> Option<String> {
    Some(env!("MOMLAB_GIT_COMMIT")).filter(|c| !c.is_empty()).map(String::from)
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// One bar per sweep on stderr: ticks done / total, cells in the message, ETA; shown only
/// after 2 s (`budget::show_later`), hidden under --quiet and --verbose (whose log lines are the
/// progress) and when stderr is not a terminal.
pub fn progress(len: u64, verbosity: Verbosity, command: &str, shard: Option<Shard>) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if verbosity == Verbosity::Normal {
        crate::budget::show_later(&bar);
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let name = shard.map_or(command.to_string(), |s| format!("{command} {s}"));
    let style =
        ProgressStyle::with_template(&format!("{name} [{{bar:30}}] {{msg}}, eta {{eta}}")).expect("a valid template");
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cells() {
        for count in 1..=7 {
            let shards: Vec<Shard> = (1..=count).map(|i| format!("{i}/{count}").parse().unwrap()).collect();
            for p in 0..50 {
                assert_eq!(shards.iter().filter(|s| s.owns(p)).count(), 1, "cell {p} with {count} shards");
            }
        }
        for bad in ["3/2", "0/2", "a/b", "1", "1/0", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_unique_file_names_in_order() {
        let labels = ["gaussian power:d=50,a=1", "gaussian power:d=50,a=1", "claim C1"];
        let keys: Vec<String> = labels.iter().enumerate().map(|(i, l)| key(i, 3, l)).collect();
        assert_eq!(keys, ["000-gaussian_power_d=50_a=1", "001-gaussian_power_d=50_a=1", "002-claim_C1"]);
        assert_eq!(key(7, 12_345, "x"), "00007-x");
    }

    #[test]
    fn versions_name_the_compiler_and_the_workspace() {
        let v = versions();
        assert!(v["rustc"].starts_with("rustc "), "{v:?}");
        assert_eq!(v["momlab-theory"], env!("CARGO_PKG_VERSION"));
        assert!(v.contains_key("burn") && v.contains_key("nalgebra"), "{v:?}");
    }
}
