//! Sweeps that survive, end to end through the `momlab` binary: three shards run as
//! separate processes and merged give the unsharded outputs byte for byte; a sweep killed with
//! SIGKILL part-way and resumed gives them too; thread counts do not matter; `--force`
//! recomputes.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

fn momlab<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_momlab")).args(args).output().expect("run momlab");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Every file under `dir` except the manifest (it holds timestamps), by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "manifest.json" {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn assert_same_outputs(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "different files");
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{} differs between {} and {}", name.display(), a.display(), b.display());
    }
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn cells(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("cells"))
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn mtimes(paths: &[PathBuf]) -> Vec<SystemTime> {
    paths.iter().map(|p| std::fs::metadata(p).unwrap().modified().unwrap()).collect()
}

/// verify (smoke; C1, C2, C3, C8, and the networks of C9 and C10: 13 cells: four Gaussian spectra, six Kaczmarz systems, C1, C9, C10) unsharded on 2
/// threads, and as 3 shards running at once as separate processes on 1 thread each, then
/// `momlab merge`: the same report.json, report.md, figures and cells, byte for byte.
#[test]
fn three_sharded_processes_merge_to_the_unsharded_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, sharded) = (dir.path().join("whole"), dir.path().join("sharded"));
    let base = ["verify", "--profile", "smoke", "--only", "C1,C2,C3,C8,C9,C10"];
    let with = |out: &Path, extra: &[&str]| -> Vec<String> {
        base.iter().chain(&["--out", out.to_str().unwrap()]).chain(extra).map(|s| s.to_string()).collect()
    };
    momlab(&with(&whole, &["--threads", "2"]));
    let m = manifest(&whole);
    assert_eq!(m["command"], "verify");
    assert_eq!(m["config_hash"].as_str().unwrap().len(), 64);
    assert_eq!(m["cells"].as_array().unwrap().len(), 13, "{m}");
    assert!(m["versions"]["rustc"].as_str().unwrap().starts_with("rustc") && m["versions"]["burn"].is_string());
    assert!(m["started"].is_string() && m["finished"].is_string() && m.get("git_commit").is_some());
    assert_eq!(m["build"].as_str().unwrap().len(), 64);
    assert_eq!(m["seeds"]["C1.seed"], 2024);
    assert_eq!(m["seeds"]["monte_carlo"], 7);
    assert_eq!(m["config"]["claims"].as_array().unwrap().len(), 6);

    let shards: Vec<_> = (1..=3)
        .map(|i| {
            let args = with(&sharded, &["--shard", &format!("{i}/3"), "--threads", "1"]);
            let piped = || std::process::Stdio::piped();
            Command::new(env!("CARGO_BIN_EXE_momlab")).args(&args).stdout(piped()).stderr(piped()).spawn().unwrap()
        })
        .collect();
    for (i, child) in shards.into_iter().enumerate() {
        let s = child.wait_with_output().unwrap();
        assert!(s.status.success(), "shard {}: {}", i + 1, String::from_utf8_lossy(&s.stderr));
        assert!(s.stdout.is_empty(), "a shard prints no report");
    }
    assert!(manifest(&sharded)["finished"].is_null() && !sharded.join("report.json").exists());
    assert_eq!(cells(&sharded).len(), 13);
    let merged = momlab(&["merge", sharded.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&merged.stdout).contains("C8"));
    assert_eq!(manifest(&sharded)["config_hash"], m["config_hash"]);
    assert_same_outputs(&whole, &sharded);
}

/// A phase sweep killed with SIGKILL after its first cells, then re-run: the finished cells are
/// kept (not rewritten), the rest computed, and the outputs equal an uninterrupted run's and the
/// in-memory `--csv` of the same diagram. `--force` recomputes every cell to the same bytes.
#[test]
fn killed_sweep_resumes_to_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, killed) = (dir.path().join("whole"), dir.path().join("killed"));
    let args = |out: &Path, threads: &str| -> Vec<String> {
        let spec = ["phase", "--spectrum", "power:d=200,a=1", "--methods", "sgd,hb,nag", "--objective", "target"];
        spec.iter().chain(&["--out", out.to_str().unwrap(), "--threads", threads]).map(|s| s.to_string()).collect()
    };
    momlab(&args(&whole, "2"));
    let total = manifest(&whole)["cells"].as_array().unwrap().len();
    assert_eq!(total, 3, "one cell per method");

    let mut child = Command::new(env!("CARGO_BIN_EXE_momlab")).args(args(&killed, "1")).spawn().unwrap();
    let start = Instant::now();
    while cells(&killed).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60), "no cell finished within a minute");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = cells(&killed);
    eprintln!("killed after {} of {total} cells", before.len());
    assert!(!before.is_empty() && before.len() < total, "killed after {} of {total} cells", before.len());
    assert!(!killed.join("phase.csv").exists());
    let stamps = mtimes(&before);

    let resumed = momlab(&[args(&killed, "3"), vec!["--verbose".into()]].concat());
    let log = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(log.matches("already finished: skipped").count(), before.len(), "{log}");
    assert_eq!(mtimes(&before), stamps, "finished cells were rewritten");
    assert_same_outputs(&whole, &killed);

    let csv = dir.path().join("memory.csv");
    let spec = ["phase", "--spectrum", "power:d=200,a=1", "--methods", "sgd,hb,nag", "--objective", "target"];
    momlab(&[&spec[..], &["--csv", csv.to_str().unwrap()]].concat());
    assert!(std::fs::read(&csv).unwrap() == std::fs::read(whole.join("phase.csv")).unwrap());

    std::thread::sleep(Duration::from_millis(20));
    momlab(&[args(&killed, "2"), vec!["--force".into()]].concat());
    assert!(mtimes(&before).iter().zip(&stamps).all(|(now, then)| now > then), "--force recomputes");
    assert_same_outputs(&whole, &killed);
}
