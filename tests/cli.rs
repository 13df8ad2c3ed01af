//! End-to-end tests of the `momlab` command line: the JSON/CSV contracts scripts depend on, and
//! the bad-input matrix (one line on stderr, exit code 2, no panic, nothing half-written).

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
    // THEORY.md §5: HB at B = 16 needs 16.3 iterations per e-fold.
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
    // C9 trained networks: three learning rates with a knee, a fitted exponent with an interval.
    assert!(claims[8]["measured"]["g"]["slope_ci"].is_array(), "{}", claims[8]["measured"]);
    assert!(claims[8]["measured"]["scan"]["points"][0].get("log_time_se").is_some(), "{}", claims[8]["measured"]);
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
fn bad_input_is_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let malformed = dir.path().join("bad.csv");
    std::fs::write(&malformed, "1,2\n3,4,5\n").unwrap();
    let negative = dir.path().join("neg.json");
    std::fs::write(&negative, "[1, -2]").unwrap();
    let out_csv = dir.path().join("never.csv");
    let zero_row = dir.path().join("zero.csv");
    std::fs::write(&zero_row, "1,2\n0,0\n3,1\n").unwrap();
    let asymmetric = dir.path().join("asym.csv");
    std::fs::write(&asymmetric, "2,1\n0,2\n").unwrap();
    let indefinite = dir.path().join("indef.csv");
    std::fs::write(&indefinite, "1,2\n2,1\n").unwrap();
    let p = |s: &Path| s.to_str().unwrap().to_string();
    let file = |s: &Path| format!("file:{}", p(s));
    let data = |s: &Path| format!("data:{}", p(s));
    let hb = |spec: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> =
            ["predict", "--spectrum", spec, "--method", "hb", "--batch", "4"].map(String::from).to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let simulate = |extra: &[&str]| -> Vec<String> {
        let base = ["simulate", "--spectrum", "power:d=5,a=1", "--method", "sgd", "--lr", "0.1", "--steps", "10"];
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["spectrum".into(), "--spectrum".into(), "gauss:d=3".into()], "unknown spectrum family"),
        (vec!["spectrum".into(), "--spectrum".into(), "power:d=0,a=1".into()], "d must be >= 1"),
        (vec!["spectrum".into(), "--spectrum".into(), "power:d=5,a=nan".into()], "not a finite number"),
        (vec!["spectrum".into(), "--spectrum".into(), file(&empty)], "no eigenvalues"),
        (vec!["spectrum".into(), "--spectrum".into(), file(&negative)], "must be finite and >= 0"),
        (vec!["spectrum".into(), "--spectrum".into(), file(&dir.path().join("missing"))], "cannot read"),
        (vec!["spectrum".into(), "--spectrum".into(), data(&malformed)], "row 2 has 3 columns"),
        (hb("power:d=5,a=1", &["--lr", "0", "--momentum", "0.5"]), "lr must be a finite number > 0"),
        (hb("power:d=5,a=1", &["--lr", "-0.1", "--momentum", "0.5"]), "lr must be a finite number > 0"),
        (hb("power:d=5,a=1", &["--lr", "inf", "--momentum", "0.5"]), "not a finite number"),
        (hb("power:d=5,a=1", &["--lr", "0.1", "--momentum", "1"]), "momentum must be in [0, 1)"),
        (hb("power:d=5,a=1", &["--lr", "0.1", "--momentum", "-0.2"]), "momentum must be in [0, 1)"),
        (hb("power:d=5,a=1", &["--lr", "0.1"]), "needs --momentum"),
        (hb("power:d=5,a=1", &["--lr", "0.1", "--momentum", "0.5", "--xi", "2"]), "--xi does not apply to hb"),
        (hb("power:d=5,a=1", &["--tune", "--lr", "0.1"]), "--tune chooses"),
        (hb("power:d=5,a=1", &["--lr", "0.1", "--momentum", "0.5", "--target", "2"]), "--target must be in (0, 1)"),
        (
            ["predict", "--spectrum", "power:d=5,a=1", "--method", "hb", "--batch", "0"].map(String::from).to_vec(),
            "batch size must be an integer >= 1",
        ),
        (
            ["predict", "--spectrum", "power:d=5,a=1", "--method", "adam", "--batch", "1"].map(String::from).to_vec(),
            "unknown method 'adam'",
        ),
        (
            ["phase", "--spectrum", "power:d=5,a=1", "--batches", "4,2"].map(String::from).to_vec(),
            "strictly increasing",
        ),
        (
            ["phase", "--spectrum", "power:d=5,a=1", "--methods", "sgd,sp"].map(String::from).to_vec(),
            "tuning is available",
        ),
        (
            vec![
                "phase".into(),
                "--spectrum".into(),
                "power:d=5,a=1".into(),
                "--csv".into(),
                p(&dir.path().join("no/such/dir.csv")),
            ],
            "cannot write",
        ),
        (vec!["frobnicate".into()], "unrecognized subcommand"),
        (simulate(&["--batch", "inf"]), "finite --batch"),
        (simulate(&["--batch", "2", "--runs", "1"]), "--runs >= 2"),
        (simulate(&["--batch", "2", "--sampler", "exact"]), "unknown sampler 'exact'"),
        (simulate(&["--batch", "2", "--system", "gen"]), "apply to --problem kaczmarz|cd"),
        (simulate(&["--batch", "2", "--problem", "kaczmarz"]), "needs --system"),
        (
            simulate(&["--batch", "2", "--problem", "kaczmarz", "--system", "gen", "--sampler", "chi2"]),
            "--sampler applies",
        ),
        (
            simulate(&["--batch", "9", "--problem", "cd", "--system", "gen", "--sampling", "without"]),
            "larger than the 5 atoms",
        ),
        (simulate(&["--batch", "2", "--problem", "cd", "--system", "gen:n=9"]), "n= does not apply"),
        (simulate(&["--batch", "2", "--problem", "kaczmarz", "--system", "gen:n=3"]), "needs n >= d rows"),
        (simulate(&["--batch", "2", "--problem", "kaczmarz", "--system", "gen:m=3"]), "unknown key 'm'"),
        (simulate(&["--batch", "2", "--problem", "kaczmarz", "--system", &p(&malformed)]), "row 2 has 3 columns"),
        (
            simulate(&["--batch", "2", "--problem", "kaczmarz", "--system", &p(&zero_row)]),
            "row 2 of the system is zero",
        ),
        (simulate(&["--batch", "2", "--problem", "cd", "--system", &p(&asymmetric)]), "symmetric"),
        (simulate(&["--batch", "2", "--problem", "cd", "--system", &p(&indefinite)]), "positive semi-definite"),
        (simulate(&["--batch", "2", "--problem", "cd", "--system", &p(&dir.path().join("nope.csv"))]), "cannot read"),
        (vec!["verify".into(), "--profile".into(), "huge".into()], "unknown profile 'huge'"),
        (
            vec!["verify".into(), "--profile".into(), "smoke".into(), "--only".into(), "C42".into()],
            "unknown claim 'C42'",
        ),
        (
            vec![
                "verify".into(),
                "--profile".into(),
                "smoke".into(),
                "--experiments".into(),
                p(&dir.path().join("none")),
            ],
            "cannot read",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = momlab(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: not one line: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: '{stderr}' lacks '{expected}'");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A failed phase leaves no partial CSV behind.
    let out = momlab(&["phase", "--spectrum", "power:d=5,a=0", "--batches", "2,1", "--csv", out_csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!out_csv.exists());
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

#[test]
fn train_refuses_bad_input_with_one_line() {
    let base = ["train", "--task", "matrix_sensing", "--steps", "10"];
    let cases: [(&[&str], &str); 9] = [
        (&["--method", "hb", "--lr", "0.1"], "needs --momentum B or --scaling C,g"),
        (&["--method", "hb", "--lr", "0.1", "--momentum", "0.9", "--scaling", "1,0.6"], "not both"),
        (&["--method", "sgd", "--lr", "0.1", "--scaling", "1,0.6"], "applies to hb and nag"),
        (&["--method", "hb", "--lr", "0.1", "--scaling", "1"], "expected C,g"),
        (&["--method", "hb", "--lr", "0.1", "--momentum", "1.5"], "momentum must be in [0, 1)"),
        (&["--method", "sgd", "--lr", "0.1", "--schedule", "cosine:5"], "--schedule must be"),
        (&["--method", "sgd", "--lr", "0.1", "--backend", "tpu"], "unknown backend 'tpu'"),
        (&["--method", "sgd", "--lr", "0.1", "--eps", "-1"], "label-noise level"),
        (&["--method", "sp"], "not for networks"),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = momlab(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err.contains(expected) && err.trim().lines().count() == 1, "{args:?}: {err}");
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
        "train", "--task", "teacher_student", "--method", "sgd", "--lr", "0.05", "--steps", "20", "--eps", "0",
        "--interpolation-steps", "50", "--save-params", saved.to_str().unwrap(), "--json",
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

#[test]
fn curvature_refuses_bad_input_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let truncated = write("truncated.json", "{\"task\": \"teacher_student\"}");
    let other = write("other.json", "{\"task\": \"diabetes\", \"task_config\": {}, \"params\": [1.0]}");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "--at-init"),
        (vec!["--at-init".into(), "--target-fraction".into(), "2".into()], "--target-fraction must be in (0, 1)"),
        (vec!["--at-init".into(), "--probes".into(), "1".into()], ">= 2 probes"),
        (vec!["--at-init".into(), "--backend".into(), "wgpu".into()], "use --backend flex or ndarray"),
        (vec!["--checkpoint".into(), dir.path().join("none.json").to_str().unwrap().into()], "cannot read checkpoint"),
        (vec!["--checkpoint".into(), truncated], "is not a saved parameter file"),
        (vec!["--checkpoint".into(), other], "the checkpoint is for task diabetes"),
    ];
    for (extra, expected) in cases {
        let mut args: Vec<String> = vec!["curvature".into(), "--task".into(), "teacher_student".into()];
        args.extend(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = momlab(&refs);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err.contains(expected) && err.trim().lines().count() == 1, "{args:?}: {err}");
    }
}
