//! Memory and work budgets: what a command will cost, estimated from its arguments alone before
//! anything large is allocated, and the check that refuses (one line, exit code 2) a request that
//! cannot fit in the machine's available memory or would run for decades.
//!
//! An [`Estimate`] is a list of [`Part`]s, each with its bytes, its work in core-nanoseconds and
//! the argument that makes it large. Every formula below counts f64 values at 8 bytes; the
//! constants were measured on the release build (docs/cli.md, "Limits", gives the measured
//! ratios of estimate to peak resident memory).
//!
//! - Memory available: `--max-memory SIZE` if given, else `MemAvailable` of /proc/meminfo.
//! - Refused: an estimate above the memory available, or above [`WORK_CEILING`] core-ns of work.

use anyhow::{Result, bail};
use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Bytes of an f64.
const F64: f64 = 8.0;

/// What the process takes before any command allocates: binary, stacks, allocator arenas, the
/// thread pool (bytes = 8 MiB; measured: 6 MB peak for `momlab spectrum --spectrum power:d=1,a=1`).
pub const PROCESS_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Work above this many core-nanoseconds (1e18 core-ns = 32 core-years) is refused.
pub const WORK_CEILING: f64 = 1e18;

/// Work above this many seconds (estimated, wall clock on the worker threads) announces itself:
/// one log line when stderr is not a terminal.
pub const ANNOUNCE_SECONDS: f64 = 10.0;

/// A bar appears only after a command has run this long.
pub const BAR_DELAY: Duration = Duration::from_secs(2);

/// One term of an estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// What it is, e.g. "the exact loss curve (8 B x (steps + 1))".
    pub what: String,
    /// The argument to lower to shrink it, e.g. "--steps".
    pub lower: String,
    pub bytes: f64,
    /// Core-nanoseconds.
    pub work: f64,
    /// Whether `work` is only an upper bound (a loop that usually stops early): it counts
    /// toward the ceiling but not toward the announced duration.
    pub bound: bool,
}

impl Part {
    pub fn memory(what: impl Into<String>, lower: impl Into<String>, bytes: f64) -> Part {
        Part { what: what.into(), lower: lower.into(), bytes, work: 0.0, bound: false }
    }

    pub fn work(what: impl Into<String>, lower: impl Into<String>, work: f64) -> Part {
        Part { what: what.into(), lower: lower.into(), bytes: 0.0, work, bound: false }
    }

    /// Work that is only an upper bound.
    pub fn work_bound(what: impl Into<String>, lower: impl Into<String>, work: f64) -> Part {
        Part { what: what.into(), lower: lower.into(), bytes: 0.0, work, bound: true }
    }
}

/// A command's estimate: the sum of its parts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    pub parts: Vec<Part>,
}

impl Estimate {
    pub fn new(parts: Vec<Part>) -> Estimate {
        Estimate { parts }
    }

    pub fn with(mut self, parts: impl IntoIterator<Item = Part>) -> Estimate {
        self.parts.extend(parts);
        self
    }

    /// bytes = PROCESS_BYTES + sum of the parts' bytes.
    pub fn bytes(&self) -> f64 {
        PROCESS_BYTES + self.parts.iter().map(|p| p.bytes).sum::<f64>()
    }

    /// Core-ns = sum of the parts' work.
    pub fn work(&self) -> f64 {
        self.parts.iter().map(|p| p.work).sum()
    }

    /// Expected wall-clock seconds on `threads` workers: the parts' work that is not only a bound
    /// / threads / 1e9.
    pub fn seconds(&self, threads: usize) -> f64 {
        self.parts.iter().filter(|p| !p.bound).map(|p| p.work).sum::<f64>() / threads.max(1) as f64 / 1e9
    }

    fn largest(&self, key: impl Fn(&Part) -> f64) -> Option<&Part> {
        self.parts.iter().max_by(|a, b| key(a).total_cmp(&key(b)))
    }
}

/// `--max-memory`, set once by `main`.
static MAX_MEMORY: OnceLock<f64> = OnceLock::new();

/// Sets the memory limit that replaces MemAvailable (`--max-memory`).
pub fn set_max_memory(bytes: f64) {
    let _ = MAX_MEMORY.set(bytes);
}

/// `--max-memory SIZE`: bytes, or a number with a suffix K, M, G, T, P (powers of 1024; an optional
/// trailing B or iB), e.g. 64G, 1.5T, 512MiB.
pub fn parse_size(s: &str) -> std::result::Result<f64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper.strip_suffix("IB").or_else(|| upper.strip_suffix('B')).unwrap_or(&upper);
    let (number, scale) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 1024f64),
        Some('M') => (&body[..body.len() - 1], 1024f64.powi(2)),
        Some('G') => (&body[..body.len() - 1], 1024f64.powi(3)),
        Some('T') => (&body[..body.len() - 1], 1024f64.powi(4)),
        Some('P') => (&body[..body.len() - 1], 1024f64.powi(5)),
        _ => (body, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x * scale),
        _ => Err(format!("memory size must be a positive number with an optional K, M, G, T or P suffix, got '{s}'")),
    }
}

/// The memory a command may use, and where that number comes from.
pub fn available() -> (f64, &'static str) {
    if let Some(&bytes) = MAX_MEMORY.get() {
        return (bytes, "--max-memory");
    }
    match mem_available() {
        Some(bytes) => (bytes, "MemAvailable"),
        None => (f64::INFINITY, "no /proc/meminfo"),
    }
}

/// MemAvailable of /proc/meminfo, in bytes (the kernel reports kB).
fn mem_available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Refuses `estimate` of `command` when it does not fit: more bytes than [`available`], or more
/// work than [`WORK_CEILING`]. The error is one line naming the need and the argument to lower.
pub fn check(command: &str, estimate: &Estimate) -> Result<()> {
    let (limit, source) = available();
    let bytes = estimate.bytes();
    if bytes > limit
        && let Some(part) = estimate.largest(|p| p.bytes)
    {
        bail!(
            "{command} would need about {} of memory, more than the {} available ({}): {} takes {}; lower {}",
            human_bytes(bytes),
            human_bytes(limit),
            if source == "--max-memory" {
                "--max-memory".to_string()
            } else {
                format!("{source}; --max-memory SIZE sets the limit")
            },
            part.what,
            human_bytes(part.bytes),
            part.lower
        );
    }
    let work = estimate.work();
    if work > WORK_CEILING
        && let Some(part) = estimate.largest(|p| p.work)
    {
        bail!(
            "{command} would be about {work:.1e} core-ns of work ({}), over the ceiling of {WORK_CEILING:.0e} core-ns ({}): {} is {:.1e} core-ns; lower {}",
            human_duration(work / 1e9),
            human_duration(WORK_CEILING / 1e9),
            part.what,
            part.work,
            part.lower
        );
    }
    Ok(())
}

/// `x` bytes as B, KB, MB, GB, TB, PB or EB (powers of 1000), three significant digits.
pub fn human_bytes(x: f64) -> String {
    if !x.is_finite() {
        return "unlimited bytes".into();
    }
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = x;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    let digits = match v {
        v if v >= 1000.0 => return format!("{x:.2e} B"),
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    let text = format!("{v:.digits$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    format!("{text} {}", units[i])
}

/// `seconds` as seconds, minutes, hours, days or years.
pub fn human_duration(seconds: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    match seconds {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.0} h", s / 3_600.0),
        s if s < 2.0 * YEAR => format!("{:.0} days", s / 86_400.0),
        s if s < 1e4 * YEAR => format!("{:.0} years", s / YEAR),
        s => format!("{:.1e} years", s / YEAR),
    }
}

// ---------------------------------------------------------------------------------------------
// Spectra.

/// What building a spectrum from its specification costs, and its dimension when the
/// specification names it (files are only known after they are read).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpectrumCost {
    /// d (the column count for `data:`); None when unknown (`file:`, a malformed specification).
    pub d: Option<f64>,
    pub parts: Vec<Part>,
}

/// The cost of building `spec` (theory::spec's grammar), from the specification alone (and the
/// size of a file it names). A malformed specification costs nothing here: its parser reports it.
///
/// - `power`, `uniform`, `cluster`: bytes = 8 d, work = 25 d.
/// - `mp:d,n`: the n x d sample, its Gram matrix and the symmetric eigensolver's copies:
///   bytes = 8 (n d + 2 d^2), work = 0.3 n d^2 + 0.8 d^3.
/// - `file:PATH` of S bytes: the text and at most S/2 values: bytes = S + 8 S/2 = 5 S.
/// - `data:PATH` of S bytes and c columns: the text, at most S/2 parsed values (twice: the rows
///   and the matrix), the centred copy and the c x c covariance with its eigensolver:
///   bytes = S + 3 · 8 · S/2 + 3 · 8 c^2, work = 0.3 (S/2) c + 0.8 c^3.
pub fn spectrum(spec: &str) -> SpectrumCost {
    let Some((family, rest)) = spec.split_once(':') else { return SpectrumCost::default() };
    let keys = |key: &str| -> Option<f64> {
        rest.split(',')
            .filter_map(|item| item.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .and_then(|(_, v)| count(v))
    };
    match family {
        "power" | "uniform" | "cluster" | "two-cluster" => {
            let Some(d) = keys("d") else { return SpectrumCost::default() };
            SpectrumCost {
                d: Some(d),
                parts: vec![Part {
                    what: format!("the {d:.0} eigenvalues of {family} (8 B x d)"),
                    lower: "d in --spectrum".into(),
                    bytes: F64 * d,
                    work: 25.0 * d,
                    bound: false,
                }],
            }
        }
        "mp" => {
            let (Some(d), Some(n)) = (keys("d"), keys("n")) else { return SpectrumCost::default() };
            SpectrumCost {
                d: Some(d),
                parts: vec![Part {
                    what: "the Marchenko-Pastur sample and its eigensolver (8 B x (n d + 2 d^2))".into(),
                    lower: "d or n in --spectrum".into(),
                    bytes: F64 * (n * d + 2.0 * d * d),
                    work: 0.3 * n * d * d + 0.8 * d.powi(3),
                    bound: false,
                }],
            }
        }
        "file" => {
            let Some(size) = file_size(Path::new(rest)) else { return SpectrumCost::default() };
            SpectrumCost {
                d: None,
                parts: vec![Part::memory(
                    format!("reading the {} spectrum file (5 B per byte of file)", human_bytes(size)),
                    "the spectrum file's size",
                    5.0 * size,
                )],
            }
        }
        "data" => {
            let path = Path::new(rest);
            let (Some(size), Some(c)) = (file_size(path), columns(path)) else { return SpectrumCost::default() };
            let values = size / 2.0;
            SpectrumCost {
                d: Some(c),
                parts: vec![Part {
                    what: format!("the {} data file and its covariance", human_bytes(size)),
                    lower: "the data file's rows or columns".into(),
                    bytes: size + 3.0 * F64 * values + 3.0 * F64 * c * c,
                    work: 0.3 * values * c + 0.8 * c.powi(3),
                    bound: false,
                }],
            }
        }
        _ => SpectrumCost::default(),
    }
}

/// A non-negative integer of any size, as f64 (None unless all digits).
fn count(v: &str) -> Option<f64> {
    let v = v.trim();
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then(|| v.parse::<f64>().ok()).flatten()
}

/// The size in bytes and the column count (of its first line) of a CSV file.
pub fn csv_shape(path: &Path) -> Option<(f64, f64)> {
    Some((file_size(path)?, columns(path)?))
}

fn file_size(path: &Path) -> Option<f64> {
    std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len() as f64)
}

/// The number of comma-separated fields of the first line of a CSV file (reads one line).
fn columns(path: &Path) -> Option<f64> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).take(1 << 20).read_line(&mut line).ok()?;
    Some(line.split(',').count() as f64)
}

// ---------------------------------------------------------------------------------------------
// The exact Gaussian theory (predict, phase, simulate's theory curve).

/// The O(d) recursion of the exact Gaussian theory (docs/theory.md §4): the eigenvalues and
/// their per-mode transition and noise weights, three second-moment vectors and the distinct
/// eigenvalues: bytes = 12 · 8 d per concurrent evaluation (`threads` of them).
pub fn gaussian_theory(d: f64, threads: usize) -> Part {
    Part::memory(
        "the exact theory's per-eigenvalue state (96 B x d per thread)",
        "d in --spectrum",
        12.0 * F64 * d * threads as f64,
    )
}

/// The exact curve E\[loss_t\] to a target, at most `max_steps` steps of the O(d) recursion:
/// work <= 3 d max_steps (an upper bound: it stops at the target), for `evaluations` of them.
pub fn exact_curve_bound(d: f64, max_steps: f64, evaluations: f64) -> Part {
    Part::work_bound(
        "the exact curve to the target (3 ns x d x --max-steps per evaluation)",
        "--max-steps",
        3.0 * d * max_steps * evaluations,
    )
}

/// Evaluations of the objective per tuned point (`--tune`, `phase`), about.
pub const TUNING_EVALUATIONS: f64 = 300.0;

/// Tuning (`--tune`, `phase`): [`TUNING_EVALUATIONS`] rate evaluations per tuned point, each a
/// secular equation solved in passes over the d eigenvalues: work = 300 · 160 d per point
/// (50 µs per eigenvalue and point). Coarse: measured 4 800 ns·d per point for a warm-started
/// SGD/HB phase diagram at d = 1e5, over 400 000 ns·d for a cold HB `--tune` at d = 1e6.
pub fn tuning(d: f64, points: f64) -> Part {
    Part::work(
        "tuning (50 us x d per tuned point)",
        "d in --spectrum or the number of batches",
        TUNING_EVALUATIONS * 160.0 * d * points,
    )
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo (simulate, and the claims that simulate).

/// The Monte-Carlo ensemble's arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ensemble {
    pub d: f64,
    pub runs: f64,
    pub steps: f64,
    /// Checkpoints actually recorded: min(--checkpoints, steps + 1).
    pub checkpoints: f64,
    /// Worker threads (runs in flight at once).
    pub threads: usize,
    /// Core-ns of one stochastic gradient and update of one run.
    pub step_work: f64,
    /// The argument(s) that set `step_work`, for the refusal line.
    pub step_lower: &'static str,
}

impl Ensemble {
    /// The Gaussian sampler's step: the chi-square sampler draws d normals (12 ns per coordinate),
    /// the explicit one B d (8 ns per coordinate and sample); 30 ns per step of bookkeeping.
    pub fn gaussian_step(d: f64, batch: f64, explicit: bool) -> f64 {
        30.0 + if explicit { 8.0 * batch * d + 6.0 * d } else { 12.0 * d }
    }

    /// A finite-sum step: B atoms (a dot product and an axpy, 2 ns per coordinate each) and the
    /// loss 1/2 e^T L e (2 ns per entry of the d x d loss matrix).
    pub fn finite_sum_step(d: f64, batch: f64) -> f64 {
        30.0 + 4.0 * batch * d + 2.0 * d * d
    }

    /// - the runs' losses at the checkpoints: bytes = runs (8 checkpoints + 72);
    /// - the vectors of the runs in flight: bytes = threads · 6 · 8 d;
    /// - the runs: work = runs · steps · step_work.
    pub fn parts(&self) -> Vec<Part> {
        vec![
            Part::memory(
                "the runs' losses at the checkpoints (8 B x runs x checkpoints)",
                "--runs or --checkpoints",
                self.runs * (F64 * self.checkpoints + 72.0),
            ),
            Part::memory(
                "the state of the runs in flight (48 B x d per thread)",
                "d in --spectrum",
                self.threads as f64 * 6.0 * F64 * self.d,
            ),
            Part::work(
                "the Monte-Carlo runs (runs x steps x one step)",
                self.step_lower,
                self.runs * self.steps * self.step_work,
            ),
        ]
    }
}

/// The exact curve E\[loss_t\], t = 0..=steps, kept in full: bytes = 8 (steps + 1).
pub fn curve(steps: f64) -> Part {
    Part::memory("the exact loss curve (8 B x (steps + 1))", "--steps", F64 * (steps + 1.0))
}

// ---------------------------------------------------------------------------------------------
// Finite sums (Kaczmarz, coordinate descent).

/// Where a finite sum's matrix comes from, for its estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SystemBuild {
    /// Generated: Kaczmarz's n x d U diag V^T (n = --system's n), coordinate descent's Q diag Q^T.
    Generated,
    /// A CSV file of this many bytes.
    File { bytes: f64 },
}

/// A finite sum with n atoms in dimension d (Kaczmarz: n rows of an n x d system; coordinate
/// descent: n = d).
///
/// - Building the matrix: generated Kaczmarz, the n x d Gaussian, its QR factor and product:
///   bytes = 8 (3 n d + 4 d^2), work = 2 n d^2 + d^3; generated coordinate descent:
///   bytes = 8 · 5 d^2; a file of S bytes: bytes = S + 2 · 8 · S/2.
/// - The sum: the matrix, u_k and v_k (d x n each), H and the loss matrix, H's eigensolver, and
///   the same in H's eigenbasis (u_k, v_k, Q and the loss matrix): bytes = 8 (5 n d + 7 d^2).
/// - The exact second moment (2d x 2d) with the temporaries of one step of its map:
///   bytes = 8 (12 · 4 d^2 + 2 n d); one step, in the eigenbasis: work = 4 n d^2 flops for the
///   fourth moment and about 60 d^2 for the element-wise passes (at 0.5 ns per flop:
///   2 n d^2 + 30 d^2 ns).
/// - Its spectral radius by restarted Arnoldi with a basis of min(100, 4 d^2) vectors of 4 d^2
///   entries: bytes = 8 · 4 d^2 · min(100, 4 d^2), work about 300 map steps.
pub fn finite_sum(d: f64, n: f64, build: SystemBuild, coordinate_descent: bool, lower: &str) -> Vec<Part> {
    let (build_bytes, build_work) = match (build, coordinate_descent) {
        (SystemBuild::File { bytes }, _) => (bytes + 2.0 * F64 * bytes / 2.0, 0.0),
        (SystemBuild::Generated, false) => (F64 * (3.0 * n * d + 4.0 * d * d), 2.0 * n * d * d + d.powi(3)),
        (SystemBuild::Generated, true) => (F64 * 5.0 * d * d, 2.0 * d.powi(3)),
    };
    let map_step = map_step(d, n);
    let side = 4.0 * d * d;
    vec![
        Part {
            what: "building the system".into(),
            lower: lower.into(),
            bytes: build_bytes,
            work: build_work,
            bound: false,
        },
        Part::memory(
            "the finite sum's atoms and matrices (8 B x (5 n d + 7 d^2))",
            lower,
            F64 * (5.0 * n * d + 7.0 * d * d),
        ),
        Part::memory(
            "the exact 2d x 2d second moment and one step's temporaries (8 B x (48 d^2 + 2 n d))",
            lower,
            F64 * (12.0 * side + 2.0 * n * d),
        ),
        Part {
            what: "the rate by Arnoldi on the second-moment map (8 B x 4 d^2 x min(100, 4 d^2))".into(),
            lower: lower.into(),
            bytes: F64 * side * side.min(100.0),
            work: 300.0 * map_step,
            bound: false,
        },
    ]
}

/// The exact finite-sum curve over `steps` steps of the 2d x 2d second-moment map:
/// work = steps (2 n d^2 + 30 d^2).
pub fn finite_sum_curve(d: f64, n: f64, steps: f64) -> Part {
    Part::work("the exact finite-sum curve (steps x (2 n d^2 + 30 d^2) ns)", "--steps or d", steps * map_step(d, n))
}

/// Nanoseconds of one step of the finite-sum second-moment map ([`finite_sum`]).
fn map_step(d: f64, n: f64) -> f64 {
    2.0 * n * d * d + 30.0 * d * d
}

// ---------------------------------------------------------------------------------------------
// Networks.

/// A network replica batch: R replicas of a model with `params` parameters stepped as one tensor
/// program on `rows` rows per step through layers of `widths` (input first), at `float` bytes
/// per value (8 for f64, 4 for f32):
///
/// bytes = float · R · (3 params + rows · sum(widths))
///
/// (per replica: the parameters, the momentum buffers and the gradients; the activations of
/// every layer for every row). Call it with the replica count of each list of runs that is
/// trained as one batch.
pub fn network_replica_batch(replicas: f64, params: f64, rows: f64, widths: &[usize], float: f64) -> Part {
    let activations: f64 = widths.iter().map(|&w| w as f64).sum::<f64>() * rows;
    Part::memory(
        "the replica batch (R x (3 x parameters + rows x widths) values)",
        "the number of replicas (--seeds, --lr, --momentum) or --batch",
        float * replicas * (3.0 * params + activations),
    )
}

/// The training steps of a replica batch: forward and backward through every parameter for
/// every row, about 6 flops each, at 2 ns per flop through the tensor library's dispatch, and
/// 50 µs of dispatch per step: work = steps · (R · rows · params · 12 + 50 000).
pub fn network_steps(replicas: f64, params: f64, rows: f64, steps: f64, lower: &str) -> Part {
    Part::work(
        "the training steps (steps x (R x rows x parameters x 12 ns + 50 us))",
        lower,
        steps * (replicas * rows * params * 12.0 + 50_000.0),
    )
}

/// The recorded checkpoints of R runs: bytes = R · (steps / record_every + 1) · 56 (one
/// `nn::Checkpoint`).
pub fn network_series(replicas: f64, steps: f64, record_every: f64) -> Part {
    Part::memory(
        "the recorded checkpoints (56 B x (steps / record-every + 1))",
        "--steps or raise --record-every",
        replicas * (steps / record_every.max(1.0) + 1.0) * 56.0,
    )
}

/// Curvature estimates of a model with `params` parameters on `rows` rows: the Lanczos basis
/// (bytes = 8 params · lanczos_steps) and the Hessian-vector products (2 gradients each, by
/// finite differences): products = probes + 100 + lanczos_steps (1 + 4), work = products ·
/// (rows · params · 24 + 100 000).
pub fn curvature(params: f64, rows: f64, probes: f64, lanczos_steps: f64) -> Vec<Part> {
    let products = probes + 100.0 + lanczos_steps * 5.0;
    vec![
        Part::memory(
            "the Lanczos basis (8 B x parameters x --lanczos-steps)",
            "--lanczos-steps",
            F64 * params * lanczos_steps,
        ),
        Part::memory("the probes' estimates (8 B x --probes)", "--probes", F64 * probes),
        Part::work(
            "the Hessian-vector products ((probes + 100 + 5 lanczos-steps) x rows x parameters x 24 ns)",
            "--probes or --lanczos-steps",
            products * (rows * params * 24.0 + 100_000.0),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Progress.

/// One line on stderr, when stderr is not a terminal (no bar can show there) and not `quiet`,
/// for work estimated above [`ANNOUNCE_SECONDS`]: `COMMAND: about 3 min of work (estimated);
/// running`.
pub fn announce(command: &str, seconds: f64, quiet: bool) {
    if !quiet && !std::io::stderr().is_terminal() && seconds > ANNOUNCE_SECONDS {
        eprintln!("{command}: about {} of work (estimated); running", human_duration(seconds));
    }
}

/// Shows `bar` on stderr [`BAR_DELAY`] after now, if it is not finished by then and stderr is
/// a terminal: short commands never draw one.
pub fn show_later(bar: &indicatif::ProgressBar) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    let bar = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(BAR_DELAY);
        if !bar.is_finished() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.tick();
        }
    });
}

/// Progress of a long computation: an indicatif bar with an ETA on a terminal that appears
/// only after [`BAR_DELAY`] ([`show_later`]), and, when stderr is not a terminal, one log line at
/// the start if the estimate exceeds [`ANNOUNCE_SECONDS`] ([`announce`]). Silent under `--quiet`.
pub struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    /// `ticks` steps of `command`, estimated at `seconds`.
    pub fn new(command: &str, ticks: u64, seconds: f64, quiet: bool) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(ticks), indicatif::ProgressDrawTarget::hidden());
        let template = format!("{command} [{{bar:30}}] {{pos}}/{{len}} runs, {{elapsed}}, eta {{eta}}");
        bar.set_style(indicatif::ProgressStyle::with_template(&template).expect("a valid template"));
        if !quiet {
            show_later(&bar);
        }
        announce(command, seconds, quiet);
        Progress { bar }
    }

    /// One tick done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("64G").unwrap(), 64.0 * 1024f64.powi(3));
        assert_eq!(parse_size("512MiB").unwrap(), 512.0 * 1024f64.powi(2));
        assert_eq!(parse_size("1.5T").unwrap(), 1.5 * 1024f64.powi(4));
        assert_eq!(parse_size("1000").unwrap(), 1000.0);
        for bad in ["", "G", "-1G", "0", "nanG", "12X", "inf"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spectrum_costs_follow_the_spec() {
        let power = spectrum("power:d=1000,a=1");
        assert_eq!(power.d, Some(1000.0));
        assert_eq!(power.parts[0].bytes, 8000.0);
        let mp = spectrum("mp:d=10,n=40,seed=3");
        assert_eq!(mp.parts[0].bytes, 8.0 * (400.0 + 200.0));
        let huge = spectrum("power:d=100000000000000000000000000000,a=1");
        assert_eq!(huge.d, Some(1e29));
        for unknown in ["power:d=-3,a=1", "nope", "gauss:d=3", "file:/no/such/file"] {
            assert_eq!(spectrum(unknown), SpectrumCost::default(), "{unknown}");
        }
    }

    #[test]
    fn a_replica_batch_counts_parameters_buffers_gradients_and_activations() {
        // 4 replicas of a 10-64-1 MLP (769 parameters) on 32 rows in f64.
        let part = network_replica_batch(4.0, 769.0, 32.0, &[10, 64, 1], 8.0);
        assert_eq!(part.bytes, 8.0 * 4.0 * (3.0 * 769.0 + 32.0 * 75.0));
    }

    #[test]
    fn refusals_name_the_largest_part_and_its_argument() {
        let e = Estimate::new(vec![curve(1e15), Part::memory("small", "--small", 10.0)]);
        let err = check("simulate", &e).unwrap_err().to_string();
        assert!(err.contains("lower --steps") && err.contains("8 PB"), "{err}");
        let e = Estimate::new(vec![Part::work("runs", "--runs", 2e18)]);
        let err = check("simulate", &e).unwrap_err().to_string();
        assert!(err.contains("lower --runs") && err.contains("years"), "{err}");
        assert!(check("simulate", &Estimate::new(vec![curve(10.0)])).is_ok());
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(8e15), "8 PB");
        assert_eq!(human_bytes(1.5e9), "1.5 GB");
        assert_eq!(human_bytes(370.4e15), "370 PB");
        assert_eq!(human_bytes(23.317e9), "23.3 GB");
        assert_eq!(human_duration(30.0), "30 s");
        assert_eq!(human_duration(3.0 * 86_400.0), "3 days");
    }
}
