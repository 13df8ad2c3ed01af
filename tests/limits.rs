//! Requests that cannot fit: each is refused up front (exit code 2, one line on stderr naming
//! the argument to lower) within a second, with no output file; the memory estimate is within a
//! factor 2 of the measured peak resident memory on real runs; Ctrl-C leaves no file and exits
//! with 130, and a long run announces itself in one line when stderr is not a terminal.

mod common;

use common::words;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn momlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_momlab"))
}

/// Every entry of `dir` (names only).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A sparse file of `bytes` bytes (no disk blocks), starting with `head`.
fn sparse(path: &Path, head: &str, bytes: u64) {
    std::fs::write(path, head).unwrap();
    std::fs::OpenOptions::new().write(true).open(path).unwrap().set_len(bytes).unwrap();
}

/// A claim directory with C2.toml whose smoke spectra are replaced by `spec`.
fn claims_with(dir: &Path, spec: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/C2.toml");
    let text = std::fs::read_to_string(repo).unwrap();
    let start = text.find("smoke = [").unwrap();
    let end = start + text[start..].find(']').unwrap();
    let edited = format!("{}smoke = [\"{spec}\"{}", &text[..start], &text[end..]);
    let claims = dir.join("claims");
    std::fs::create_dir_all(&claims).unwrap();
    std::fs::write(claims.join("C2.toml"), edited).unwrap();
    claims.display().to_string()
}

#[test]
fn requests_that_cannot_fit_are_refused_at_once_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    // Sparse: they take no disk, but their sizes say what reading them would take.
    sparse(&cwd.join("huge-spectrum.txt"), "1\n", 1 << 42);
    sparse(&cwd.join("huge-data.csv"), "1,2,3\n", 1 << 42);
    sparse(&cwd.join("huge-system.csv"), "1,2,3\n", 1 << 42);
    let claims = claims_with(cwd, "power:d=1000000000000000,a=1");

    let big = "1000000000000000"; // 1e15
    let simulate = |extra: &str| {
        let batch = if extra.contains("--batch") { "" } else { "--batch 2" };
        words(&format!("simulate --method sgd --lr 0.1 {batch} --csv out.csv {extra}"))
    };
    let gaussian = |spec: &str, extra: &str| simulate(&format!("--spectrum {spec} {extra}"));
    let kaczmarz = |system: &str, d: &str| {
        simulate(&format!("--problem kaczmarz --system {system} --spectrum power:d={d},a=1 --steps 10"))
    };
    let train =
        |extra: &str| words(&format!("train --task teacher_student --method sgd --lr 0.05 --csv out.csv {extra}"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        // Spectra: every family, huge d (or n); files too large to read.
        (words(&format!("spectrum --spectrum power:d={big},a=1")), "lower d in --spectrum"),
        (words(&format!("spectrum --spectrum uniform:d={big},lo=0.1,hi=1")), "lower d in --spectrum"),
        (words(&format!("spectrum --spectrum cluster:d={big},lo=0.1,hi=1,frac=0.1")), "lower d in --spectrum"),
        (words(&format!("spectrum --spectrum two-cluster:d={big},lo=0.1,hi=1,high=3")), "lower d in --spectrum"),
        (words("spectrum --spectrum mp:d=10000000,n=100"), "lower d or n in --spectrum"),
        (words("spectrum --spectrum mp:d=100,n=100000000000000"), "lower d or n in --spectrum"),
        (words("spectrum --spectrum file:huge-spectrum.txt"), "lower the spectrum file's size"),
        (words("spectrum --spectrum data:huge-data.csv"), "lower the data file's rows or columns"),
        // predict and phase: the spectrum, the exact curve's budget, the tuning.
        (
            words(&format!("predict --spectrum power:d={big},a=1 --method sgd --lr 0.1 --batch 4")),
            "lower d in --spectrum",
        ),
        (
            words(&format!("predict --spectrum power:d=1000000,a=1 --method sgd --lr 0.1 --batch 4 --max-steps {big}")),
            "lower --max-steps",
        ),
        (words(&format!("phase --spectrum power:d={big},a=1 --csv out.csv")), "lower d in --spectrum"),
        (
            words(&format!("phase --spectrum power:d=1000000,a=1 --batches 1,2 --max-steps {big} --csv out.csv")),
            "lower --max-steps",
        ),
        // simulate: steps, runs, checkpoints, the explicit sampler's batch, d.
        (gaussian("power:d=10,a=1", &format!("--steps {big}")), "lower --steps"),
        (gaussian("power:d=10,a=1", "--steps 100 --runs 10000000000000"), "lower --runs or --checkpoints"),
        (
            gaussian("power:d=10,a=1", "--steps 1000000000 --runs 10000000 --checkpoints 1000000000"),
            "lower --runs or --checkpoints",
        ),
        (
            gaussian("power:d=100,a=1", &format!("--steps 1000 --runs 100 --sampler explicit --batch {big}")),
            "lower --steps, --runs or --batch",
        ),
        (gaussian("power:d=100000,a=1", "--steps 10000000 --runs 10000000 --max-memory 1P"), "lower --steps or --runs"),
        (gaussian(&format!("power:d={big},a=1"), "--steps 10"), "lower d in --spectrum"),
        (gaussian("file:huge-spectrum.txt", "--steps 10"), "lower the spectrum file's size"),
        // Finite sums: huge Kaczmarz systems (generated rows, d, a file) and coordinate descent.
        (kaczmarz("gen:n=100000000000000", "10"), "n="),
        (kaczmarz("gen", "1000000"), "lower d in --spectrum or the system's rows (n=)"),
        (kaczmarz("huge-system.csv", "10"), "lower d in --spectrum or the system's rows (n=)"),
        (
            simulate("--problem cd --system gen --spectrum power:d=10000000,a=1 --steps 10"),
            "lower d in --spectrum or the system",
        ),
        // Networks: steps, recorded checkpoints, phase-1 budget; curvature's probes and basis.
        (train(&format!("--steps {big}")), "lower --steps"),
        (train("--steps 10000000000000 --record-every 1"), "lower --steps or raise --record-every"),
        (train(&format!("--steps 10 --interpolation-steps {big}")), "lower --interpolation-steps"),
        // Replica lists: a trillion seeds is refused by its count, before the list is expanded.
        (
            train("--steps 10 --seeds 0..1000000000000"),
            "lower the number of replicas (--seeds, --lr, --momentum) or --batch",
        ),
        (
            train("--steps 10 --lr 0.01,0.02 --seeds 0..=999999999999"),
            "lower the number of replicas (--seeds, --lr, --momentum) or --batch",
        ),
        (words(&format!("curvature --task diabetes --at-init --probes {big}")), "lower --probes"),
        (words("curvature --task diabetes --at-init --lanczos-steps 10000000000000"), "lower --lanczos-steps"),
        // verify: a claim spectrum that does not fit.
        (
            words(&format!("verify --profile smoke --only C2 --experiments {claims} --out out")),
            "verify (claim C2, spectrum power:d=1000000000000000,a=1)",
        ),
        // --max-memory lowers the limit below what a small request needs.
        (
            words("--max-memory 1M spectrum --spectrum power:d=1000000,a=1"),
            "more than the 1.05 MB available (--max-memory)",
        ),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());
    common::assert_refused(cwd, &cases, Some(Duration::from_secs(1)), listing);
}

#[test]
fn a_bad_memory_size_is_bad_input() {
    for bad in ["lots", "-3G", "0", "12X"] {
        let out = momlab()
            .args([&format!("--max-memory={bad}"), "spectrum", "--spectrum", "power:d=3,a=1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("memory size must be"), "{bad}");
    }
}

/// VmHWM (peak resident memory) of process `pid` in bytes, while it runs.
fn vm_hwm(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? * 1024.0)
}

/// Runs `args` and returns its output and its peak resident memory: VmHWM of /proc/PID/status,
/// polled every 2 ms while it runs (the high-water mark only grows; ru_maxrss would carry the
/// test process's own peak across exec).
fn peak_rss(args: &[String]) -> (Output, f64) {
    let mut child = momlab().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    // Read the pipes on threads, so that a full pipe cannot block the child.
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut v).unwrap();
        v
    });
    let mut peak = 0f64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(vm_hwm(pid).unwrap_or(0.0));
        std::thread::sleep(Duration::from_millis(2));
    };
    (Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }, peak)
}

/// The estimate of `args` in bytes: the refusal line under `--max-memory 1` states it.
fn estimate(args: &[String]) -> f64 {
    let mut refused = vec!["--max-memory".to_string(), "1".to_string()];
    refused.extend(args.iter().cloned());
    let out = momlab().args(&refused).output().unwrap();
    let line = String::from_utf8_lossy(&out.stderr).into_owned();
    let rest = line.split("would need about ").nth(1).unwrap_or_else(|| panic!("{args:?}: {line}"));
    let mut it = rest.split_whitespace();
    let value: f64 = it.next().unwrap().parse().unwrap();
    let unit = match it.next().unwrap() {
        "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unit {other}"),
    };
    value * unit
}

#[test]
fn memory_estimates_are_within_a_factor_two_of_the_measured_peak() {
    let runs = [
        "spectrum --spectrum power:d=20000000,a=1",
        "spectrum --spectrum mp:d=800,n=6000",
        "predict --spectrum power:d=4000000,a=1 --method hb --lr 0.5 --momentum 0.5 --batch 8 --max-steps 20",
        "simulate --spectrum power:d=10,a=1 --method sgd --lr 0.5 --batch 4 --steps 10000000 --runs 2 --checkpoints 11",
        "simulate --spectrum power:d=10,a=1 --method sgd --lr 0.5 --batch 4 --steps 50 --runs 300000 --checkpoints 51",
        "simulate --problem kaczmarz --system gen --spectrum power:d=56,a=1 --method sgd --lr 0.5 --batch 4 --steps 20 --runs 100",
        "simulate --problem kaczmarz --system gen:n=20000 --spectrum power:d=30,a=1 --method sgd --lr 0.5 --batch 4 --steps 20 --runs 100",
        "simulate --problem cd --system gen --spectrum power:d=60,a=1 --method sgd --lr 0.5 --batch 4 --steps 20 --runs 100",
        "train --task teacher_student --method sgd --lr 0.05 --steps 200",
    ];
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for line in runs {
        let args = words(line);
        let estimated = estimate(&args);
        let (out, peak) = peak_rss(&args);
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        let ratio = estimated / peak;
        report.push(format!("{line}: estimate {estimated:.3e} B, peak {peak:.3e} B, ratio {ratio:.2}"));
        if !(0.5..=2.0).contains(&ratio) {
            failures.push(report.last().unwrap().clone());
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "estimate / peak outside [0.5, 2]:\n{}", failures.join("\n"));
}

#[test]
fn ctrl_c_leaves_no_output_file_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let long = words(
        "simulate --spectrum power:d=100,a=1 --method sgd --lr 0.5 --batch 4 --steps 1000000 --runs 100000 --csv out.csv",
    );
    let child = momlab().current_dir(cwd).args(&long).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // Not a terminal: no bar, one line announcing the long run instead.
    assert!(stderr.starts_with("simulate: about ") && stderr.contains(" of work (estimated); running"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?} to stop", start.elapsed());
    assert!(listing(cwd).is_empty(), "left {:?}", listing(cwd));
}
