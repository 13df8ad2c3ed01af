//! End-to-end tests of the `momlab` command line: the JSON/CSV contracts scripts depend on, and
//! the outputs' shapes (the bad-input surface is tests/bad_inputs.rs).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn momlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_momlab")).args(args).output().expect("run momlab")
}

fn json(args: &[&str]) -> Value {
    let out = momlab(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

#[test]
fn spectrum_json_contract() {
    let v = json(&["spectrum", "--spectrum", "power:d=100,a=1", "--json"]);
    for key in ["d", "lambda_max", "lambda_min", "trace", "kappa", "b_sgd", "b_hb"] {
        assert!(v[key].is_number(), "missing {key}: {v}");
    }
    assert_eq!(v["d"], 100);
    assert!((v["b_hb"].as_f64().unwrap() - 51.87).abs() < 0.01);
}

#[test]
fn predict_json_contract() {
    let base = ["predict", "--spectrum", "power:d=50,a=1", "--batch", "8", "--json"];
    let with = |extra: &[&str]| json(&[&base[..], extra].concat());
    let hb = with(&["--method", "hb", "--lr", "0.5", "--momentum", "0.6"]);
    for key in ["method", "batch", "lr", "momentum", "rate", "diverged", "iterations_to_target", "predicted"] {
        assert!(hb.get(key).is_some(), "missing {key}: {hb}");
    }
    assert_eq!(hb["method"], "hb");
    assert_eq!(hb["momentum"], 0.6);
    assert_eq!(hb["diverged"], false);
    assert!(hb["iterations_to_target"].as_u64().unwrap() > 0);
    assert!(hb["predicted"]["l_b"].is_number() && hb["predicted"]["hb_rule_b"]["momentum"].is_number());

    let sgd = with(&["--method", "sgd", "--lr", "0.5"]);
    assert!(sgd["momentum"].is_null());

    // --tune beats a hand-picked setting.
    let tuned = with(&["--method", "hb", "--tune"]);
    assert!(tuned["rate"].as_f64().unwrap() < hb["rate"].as_f64().unwrap());
    let tuned_t = with(&["--method", "sgd", "--tune", "--objective", "target"]);
    assert_eq!(tuned_t["objective"], "target");

    // Divergence is a result, not an error.
    let div = with(&["--method", "hb", "--lr", "3.9", "--momentum", "0.9"]);
    assert_eq!(div["diverged"], true);
    assert!(div["iterations_to_target"].is_null() && div["rate"].as_f64().unwrap() > 1.0);

    // ASGD and the closed-form sketch-and-project rule.
    let asgd = with(&["--method", "asgd", "--lr", "0.3", "--long-step", "30", "--xi", "4"]);
    assert!(asgd["momentum"].is_null() && asgd["rate"].as_f64().unwrap() < 1.0);
    let sp = with(&["--method", "sp"]);
    assert_eq!(sp["parameters"]["method"], "sp");
}

#[test]
fn predict_takes_a_closed_form_rule() {
    // harmonic at B = 4 on power:d=50,a=1: beta = ((sqrt(50) - 1)/(sqrt(50) + 1))^2 whatever B.
    let v = json(&[
        "predict",
        "--spectrum",
        "power:d=50,a=1",
        "--method",
        "hb",
        "--rule",
        "harmonic",
        "--batch",
        "4",
        "--json",
    ]);
    let r = 50f64.sqrt();
    assert!((v["momentum"].as_f64().unwrap() - ((r - 1.0) / (r + 1.0)).powi(2)).abs() < 1e-12, "{v}");
    assert_eq!(v["rule"], "harmonic");
    assert!(v["iterations_to_target"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn phase_csv_and_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("phase.csv");
    let v = json(&[
        "phase",
        "--spectrum",
        "power:d=100,a=1",
        "--methods",
        "sgd,hb",
        "--batches",
        "1,4,16,64,256",
        "--csv",
        csv_path.to_str().unwrap(),
        "--json",
    ]);
    let sat = &v["saturation"];
    let (sgd, hb) = (sat["sgd"].as_f64().unwrap(), sat["hb"].as_f64().unwrap());
    assert!(sgd > 5.19 / 2.0 && sgd < 5.19 * 4.0 && hb > sgd, "{sat}");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    for col in ["method", "batch", "lr", "momentum", "rate", "iterations", "compute"] {
        assert!(headers.iter().any(|h| h == col), "missing column {col}: {headers:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);
    // docs/theory.md §5: HB at B = 16 needs 16.3 iterations per e-fold.
    let efold = headers.iter().position(|h| h == "efold").unwrap();
    let hb16: f64 = rows[7][efold].parse().unwrap();
    assert!((hb16 / 16.3 - 1.0).abs() < 0.02, "{hb16}");
    assert!(std::fs::read_dir(dir.path()).unwrap().count() == 1, "temporary files left behind");
}

#[test]
fn simulate_json_contract_and_reproducibility() {
    let args = [
        "simulate",
        "--spectrum",
        "uniform:d=5,lo=0.2,hi=1",
        "--method",
        "nag",
        "--lr",
        "0.1",
        "--momentum",
        "0.5",
        "--batch",
        "4",
        "--steps",
        "200",
        "--runs",
        "800",
        "--seed",
        "3",
        "--checkpoints",
        "21",
        "--json",
    ];
    let v = json(&args);
    for key in
        ["empirical_rate", "rate_ci", "theory_rate", "mean_loss_final", "theory_loss_final", "diverged_runs", "runs"]
    {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["runs"], 800);
    assert_eq!(v["diverged_runs"], 0);
    let (mean, se, exact) = (
        v["mean_loss_final"].as_f64().unwrap(),
        v["se_loss_final"].as_f64().unwrap(),
        v["theory_loss_final"].as_f64().unwrap(),
    );
    assert!((mean - exact).abs() < 4.0 * se, "{mean} ± {se} vs {exact}");
    let ci: Vec<f64> = v["rate_ci"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    let theory = v["theory_rate"].as_f64().unwrap();
    assert!(ci[0] <= theory && theory <= ci[1], "{ci:?} vs {theory}");
    // Same seed, same bytes.
    assert_eq!(momlab(&args).stdout, momlab(&args).stdout);
}

#[test]
fn simulate_finite_sums_from_a_csv_system_and_a_generated_one() {
    let dir = tempfile::tempdir().unwrap();
    // A 12 x 3 consistent system with rows of unequal norm.
    let rows: Vec<String> = (0..12)
        .map(|k| {
            let k = k as f64;
            format!("{},{},{}", 1.0 + k, (k * 0.7).sin() * 3.0, (k * 1.3).cos())
        })
        .collect();
    let system = dir.path().join("a.csv");
    std::fs::write(&system, format!("c1,c2,c3\n{}\n", rows.join("\n"))).unwrap();
    let csv_out = dir.path().join("kaczmarz.csv");
    // Coordinate descent steps lr d A_kk along a coordinate, hence its smaller lr.
    let run = |problem: &str, system: &str, sampling: &str, csv: Option<&Path>| {
        let lr = if problem == "cd" { "0.15" } else { "0.4" };
        let mut args = vec![
            "simulate",
            "--problem",
            problem,
            "--system",
            system,
            "--spectrum",
            "uniform:d=3,lo=0.3,hi=1",
            "--method",
            "hb",
            "--lr",
            lr,
            "--momentum",
            "0.3",
            "--batch",
            "2",
            "--sampling",
            sampling,
            "--steps",
            "40",
            "--runs",
            "2000",
            "--checkpoints",
            "9",
            "--seed",
            "5",
            "--json",
        ];
        if let Some(path) = csv {
            args.extend(["--csv", path.to_str().unwrap()]);
        }
        json(&args)
    };
    for (problem, source, sampling, atoms) in [
        ("kaczmarz", system.to_str().unwrap(), "with", 12),
        ("kaczmarz", "gen:n=7,seed=2", "without", 7),
        ("cd", "gen:seed=4", "with", 3),
    ] {
        let csv = (atoms == 12).then_some(csv_out.as_path());
        let v = run(problem, source, sampling, csv);
        assert_eq!(v["atoms"], atoms, "{v}");
        assert_eq!(v["d"], 3);
        assert!(v["sampler"].is_null() && v["sampling"].is_string(), "{v}");
        for c in v["checkpoints"].as_array().unwrap() {
            let (mean, se, theory) =
                (c["mean"].as_f64().unwrap(), c["se"].as_f64().unwrap(), c["theory"].as_f64().unwrap());
            assert!(
                (mean - theory).abs() <= 4.0 * se,
                "{problem} {source}: step {}: {mean} ± {se} vs {theory}",
                c["step"]
            );
        }
        let theory = v["theory_rate"].as_f64().unwrap();
        assert!(theory > 0.0 && theory < 1.0, "{v}");
    }
    let table = std::fs::read_to_string(&csv_out).unwrap();
    assert!(table.starts_with("step,alive,mean,se,q10,q50,q90,theory"), "{table}");
    assert_eq!(table.lines().count(), 10);
}

#[test]
fn simulate_csv_is_byte_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let csv_with = |threads: &str, problem: &[&str]| {
        let path = dir.path().join(format!("t{threads}.csv"));
        let mut args = vec!["simulate", "--method", "nag", "--lr", "0.2", "--momentum", "0.6", "--batch", "3"];
        args.extend(problem);
        args.extend(["--steps", "50", "--runs", "301", "--seed", "11", "--csv", path.to_str().unwrap()]);
        let out =
            Command::new(env!("CARGO_BIN_EXE_momlab")).args(&args).env("RAYON_NUM_THREADS", threads).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&path).unwrap()
    };
    for problem in [
        &["--spectrum", "power:d=20,a=1", "--sampler", "explicit"][..],
        &["--problem", "kaczmarz", "--system", "gen:n=30", "--spectrum", "power:d=6,a=1"][..],
    ] {
        let one = csv_with("1", problem);
        assert_eq!(one, csv_with("2", problem), "{problem:?}");
        assert_eq!(one, csv_with("5", problem), "{problem:?}");
    }
}

#[test]
fn verify_smoke_writes_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verify");
    let run = momlab(&["verify", "--profile", "smoke", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let table = String::from_utf8_lossy(&run.stdout);
    let report: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let claims = report["claims"].as_array().unwrap();
    let ids: Vec<&str> = claims.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]);
    // C10: both network tasks with predictions at initialisation, T(B) curves and a bootstrap
    // interval around SGD's critical batch.
    let tasks = claims[9]["measured"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    for t in tasks {
        assert!(t["predicted"]["b_sgd"].as_f64().unwrap() > 0.0 && t["predicted"]["b_simple"].as_f64().unwrap() > 0.0);
        assert!(t["curves"][0][1].as_array().unwrap().len() >= 3, "{}", t["curves"]);
        assert!(t["path"].as_array().unwrap().len() >= 2 && !t["density"].as_array().unwrap().is_empty());
    }
    // C9 trained networks on three tasks: three learning rates with a knee each, a fitted exponent
    // with an interval, every scan point with its runs' times.
    let c9 = claims[8]["measured"]["tasks"].as_array().unwrap();
    let names: Vec<&str> = c9.iter().map(|t| t["task"].as_str().unwrap()).collect();
    assert_eq!(names, ["matrix_sensing", "teacher_student", "diabetes"]);
    for t in c9 {
        assert!(t["g"]["slope_ci"].is_array() && t["optima"].as_array().unwrap().len() == 3, "{t}");
        assert!(t["scan"]["points"][0]["times"].is_array(), "{t}");
    }
    for c in claims {
        for key in ["id", "source", "predicted", "measured", "tolerance", "verdict", "figures"] {
            assert!(c.get(key).is_some_and(|v| !v.is_null()), "{key} missing: {c}");
        }
        assert!(["pass", "fail", "inconclusive"].contains(&c["verdict"].as_str().unwrap()), "{c}");
        assert!(table.contains(c["id"].as_str().unwrap()), "{table}");
        // Every claim has figures, each a PNG and an SVG that were really drawn.
        let figures: Vec<&str> = c["figures"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert!(figures.iter().any(|f| f.ends_with(".png")) && figures.iter().any(|f| f.ends_with(".svg")), "{c}");
        for f in figures {
            let bytes = std::fs::read(out.join(f)).unwrap();
            let magic: &[u8] = if f.ends_with(".png") { b"\x89PNG" } else { b"<svg" };
            assert!(bytes.starts_with(magic) && bytes.len() > 5000, "{f}: {} bytes", bytes.len());
        }
    }
    // Monte-Carlo T(B) points sit in the sweeps, with an exact T to compare against.
    let simulated = report["sweeps"][0]["simulated"].as_array().unwrap();
    assert!(!simulated.is_empty() && simulated.iter().all(|m| m["exact"].as_f64().unwrap() > 0.0));
    // Nothing half-written is left behind.
    let partial =
        std::fs::read_dir(&out).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.'));
    assert_eq!(partial.count(), 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| C4 |") && md.contains("## C7"), "{md}");
    // --only runs a subset; into the same directory it is another sweep, which takes --force.
    let only = momlab(&["verify", "--profile", "smoke", "--only", "C4", "--out", out.to_str().unwrap()]);
    assert_eq!(only.status.code(), Some(2));
    let only = momlab(&["verify", "--profile", "smoke", "--only", "C4", "--out", out.to_str().unwrap(), "--force"]);
    assert!(only.status.success());
    let report: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["claims"].as_array().unwrap().len(), 1);
}

#[test]
fn simulate_all_diverged_prints_no_nan() {
    let out = momlab(&[
        "simulate",
        "--spectrum",
        "power:d=10,a=1",
        "--method",
        "hb",
        "--lr",
        "3.5",
        "--momentum",
        "0.9",
        "--batch",
        "1",
        "--steps",
        "2000",
        "--runs",
        "20",
        "--checkpoints",
        "5",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("diverged runs: 20 of 20"), "{text}");
    assert!(!text.contains("NaN"), "{text}");
}

#[test]
fn help_and_version_succeed() {
    assert!(momlab(&["--help"]).status.success());
    assert!(momlab(&["--version"]).status.success());
    assert!(momlab(&["phase", "--help"]).status.success());
}

#[test]
fn train_runs_a_c9_point_and_writes_its_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("run.csv");
    // The C9 task (init scale 1: |U|_F^2 = 6.14 at interpolation), eta = 1.6e-3 on the knee law.
    let args = [
        "train",
        "--task",
        "matrix_sensing",
        "--init-scale",
        "1",
        "--method",
        "hb",
        "--lr",
        "1.6e-3",
        "--scaling",
        "0.3,0.6667",
        "--eps",
        "0.5",
        "--steps",
        "5000",
        "--record-every",
        "2",
        "--stop-regulariser",
        "2",
        "--seed",
        "3",
        "--json",
        "--csv",
        csv.to_str().unwrap(),
    ];
    let record = json(&args);
    assert_eq!(record["task"], "matrix_sensing");
    assert!(record["phase_one"]["interpolated"].as_bool().unwrap());
    let series = record["series"].as_array().unwrap();
    assert!((series[0]["regulariser"].as_f64().unwrap() - 6.142).abs() < 1e-3);
    let step = record["outcome"]["step"].as_u64().unwrap();
    assert!(record["outcome"]["status"] == "reached" && (100..2000).contains(&step), "{}", record["outcome"]);
    let one_minus_beta = 1.0 - series[1]["momentum"].as_f64().unwrap();
    assert!((one_minus_beta - 0.3 * 1.6e-3f64.powf(0.6667)).abs() < 1e-12);
    // Same seed, same record (up to the wall-clock seconds); the CSV has one row per checkpoint.
    let again = json(&args);
    assert_eq!(again["series"], record["series"]);
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count();
    assert_eq!(rows, series.len() + 1);
}

/// `momlab train` with lists: learning rates x momenta x seeds as replica batches, one CSV row
/// per (replica, checkpoint), and each replica's record equal to its run alone (same series,
/// outcome and steps) whatever the replicas per batch.
#[test]
fn train_lists_run_as_replicas_equal_to_their_runs_alone() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    let common = [
        "train",
        "--task",
        "teacher_student",
        "--method",
        "hb",
        "--eps",
        "0.1",
        "--steps",
        "30",
        "--batch",
        "8",
        "--record-every",
        "10",
        "--interpolation-steps",
        "40",
        "--json",
    ];
    let with = |extra: &[&str]| json(&[&common[..], extra].concat());
    let csv_arg = csv.to_str().unwrap();
    let all = with(&["--lr", "0.02,0.05", "--momentum", "0.5,0.9", "--seeds", "0..=2", "--csv", csv_arg]);
    let records = all.as_array().unwrap();
    assert_eq!(records.len(), 12);
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(header, "replica,seed,lr0,momentum0,step,lr,momentum,train_loss,regulariser,test_error");
    let series: usize = records.iter().map(|r| r["series"].as_array().unwrap().len()).sum();
    assert_eq!(text.lines().count(), series + 1);
    // Replica 7: lr 0.05 (second), momentum 0.5 (first), seed 1.
    let alone = with(&["--lr", "0.05", "--momentum", "0.5", "--seed", "1"]);
    for key in ["series", "outcome", "steps", "phase_one"] {
        assert_eq!(records[7][key], alone[key], "{key}");
    }
    let regrouped =
        with(&["--lr", "0.02,0.05", "--momentum", "0.5,0.9", "--seeds", "0,1,2", "--replicas-per-batch", "5"]);
    for (a, b) in records.iter().zip(regrouped.as_array().unwrap()) {
        assert_eq!(a["series"], b["series"]);
    }
}

/// `momlab curvature` at initialisation (JSON) and at parameters saved by `momlab train
/// --save-params`: every estimate present and finite, tr H's interval around its estimate, and
/// the saved point is not the initial one.
#[test]
fn curvature_estimates_at_init_and_at_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("w.json");
    let init = momlab(&["curvature", "--task", "teacher_student", "--at-init", "--json"]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let c: Value = serde_json::from_slice(&init.stdout).unwrap();
    let tr = c["trace"]["estimate"].as_f64().unwrap();
    let [lo, hi] = [c["trace_ci95"][0].as_f64().unwrap(), c["trace_ci95"][1].as_f64().unwrap()];
    assert!(lo < tr && tr < hi && c["power"]["value"].as_f64().unwrap() > 0.0, "{c}");
    for key in ["b_sgd", "b_hb", "kappa_eff"] {
        assert!(c["hessian_prediction"][key].as_f64().unwrap() > 0.0, "{key}: {c}");
    }
    assert!(c["noise"]["b_simple"].as_f64().unwrap() > 0.0 && c["top"].as_array().unwrap().len() == 10);

    let train = momlab(&[
        "train",
        "--task",
        "teacher_student",
        "--method",
        "sgd",
        "--lr",
        "0.05",
        "--steps",
        "20",
        "--eps",
        "0",
        "--interpolation-steps",
        "50",
        "--save-params",
        saved.to_str().unwrap(),
        "--json",
    ]);
    assert!(train.status.success(), "{}", String::from_utf8_lossy(&train.stderr));
    let at = momlab(&["curvature", "--task", "teacher_student", "--checkpoint", saved.to_str().unwrap(), "--json"]);
    assert!(at.status.success(), "{}", String::from_utf8_lossy(&at.stderr));
    let c2: Value = serde_json::from_slice(&at.stdout).unwrap();
    assert!(c2["train_loss"].as_f64().unwrap() < c["train_loss"].as_f64().unwrap(), "{c2}");
    let table = momlab(&["curvature", "--task", "teacher_student", "--checkpoint", saved.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("tr H") && text.contains("B_simple") && text.contains("B_sgd"), "{text}");
}
