//! `momlab`: the momentum-lab command line. Thin: parsing, dispatch and output only; all math
//! lives in the workspace crates.

mod args;
mod budget;
mod curvature;
mod output;
mod phase;
mod predict;
mod simulate;
mod spectrum;
mod sweep;
mod task;
mod train;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Checks the theory of stochastic momentum (SGD, heavy ball, Nesterov, ASGD) against measurement.
#[derive(Parser)]
#[command(name = "momlab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar, no warnings, no shard summary: only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Log each cell of a sweep (start, skip, time taken) on stderr instead of the progress bar.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Memory a command may use, e.g. 64G (K, M, G, T, P: powers of 1024) [default: MemAvailable of
    /// /proc/meminfo]. Commands that would need more are refused before they start.
    #[arg(long, global = true, value_parser = budget::parse_size)]
    max_memory: Option<f64>,
}

#[derive(Subcommand)]
enum Command {
    /// Summary of a Hessian spectrum: d, L, mu, trace, kappa, B_sgd, B_hb.
    Spectrum(spectrum::Args),
    /// Exact rate, iterations to target and closed-form predictions for one method and batch.
    Predict(predict::Args),
    /// Tuned phase diagram over batch sizes: T(B), B T(B), CE(B), saturation batch per method.
    Phase(phase::Args),
    /// Monte-Carlo runs on Gaussian regression, Kaczmarz or coordinate descent beside the exact theory.
    Simulate(simulate::Args),
    /// One label-noise training run of a network (matrix sensing, teacher–student MLP, diabetes).
    Train(train::Args),
    /// Curvature and gradient-noise estimates of a network (tr H, lambda_max, B_simple) and the batch sizes they predict.
    Curvature(curvature::Args),
    /// Runs the papers' claims (experiments/*.toml): verdict table, report.md, report.json.
    Verify(verify::Args),
    /// Combines the cells of a sharded sweep (verify, phase) in DIR into its outputs.
    Merge(MergeArgs),
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The sweep's output directory (the --out of its shards).
    dir: std::path::PathBuf,
}

/// `momlab merge DIR`: the command that made the sweep combines its cells.
fn merge(a: MergeArgs) -> anyhow::Result<()> {
    let mut store = sweep::Store::existing(&a.dir)?;
    match store.manifest.command.as_str() {
        "verify" => verify::merge(&mut store),
        "phase" => phase::merge(&mut store),
        other => anyhow::bail!("{}: unknown sweep command '{other}'", a.dir.display()),
    }
}

/// Logs (tracing) on stderr at the level `verbosity` asks for.
fn init_logging(verbosity: sweep::Verbosity) {
    let level = match verbosity {
        sweep::Verbosity::Quiet => tracing::Level::ERROR,
        sweep::Verbosity::Normal => tracing::Level::WARN,
        sweep::Verbosity::Verbose => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    if let Err(e) = output::handle_interrupts() {
        return fail(&format!("error: {e:#}"));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // Clap's message up to its usage block, on one line.
            let text = e.render().to_string();
            let line: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
            return fail(&line.join(" "));
        }
    };
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => sweep::Verbosity::Quiet,
        (_, true) => sweep::Verbosity::Verbose,
        _ => sweep::Verbosity::Normal,
    };
    init_logging(verbosity);
    if let Some(bytes) = cli.max_memory {
        budget::set_max_memory(bytes);
    }
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n.into()).build_global()
    {
        return fail(&format!("error: cannot start {n} threads: {e}"));
    }
    let result = match cli.command {
        Command::Spectrum(a) => spectrum::run(a),
        Command::Predict(a) => predict::run(a, verbosity == sweep::Verbosity::Quiet),
        Command::Phase(a) => phase::run(a, verbosity),
        Command::Simulate(a) => simulate::run(a, verbosity),
        Command::Train(a) => train::run(a, verbosity),
        Command::Curvature(a) => curvature::run(a),
        Command::Verify(a) => verify::run(a, verbosity),
        Command::Merge(a) => merge(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("error: {e:#}")),
    }
}

/// Bad input: one line on stderr, exit code 2.
fn fail(line: &str) -> ExitCode {
    eprintln!("{}", line.replace('\n', " "));
    ExitCode::from(2)
}
