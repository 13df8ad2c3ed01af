//! The bad-input surface, end to end: every case is a `momlab` command line (over the
//! CLI, spectrum and system files, experiment TOML files, checkpoints and sweep directories) that
//! must end with exit code 2 and one line on stderr naming the problem, without a panic, and
//! must leave the working directory exactly as it found it (no file created, changed or removed,
//! no directory created).

mod common;

use common::words;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file (with its bytes) and directory under `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                stack.push(path);
                out.insert(rel, None);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

fn momlab_in(cwd: &Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_momlab")).current_dir(cwd).args(args).output().expect("run momlab")
}

/// Writes `inputs/<name>` under `cwd` and returns its path relative to `cwd`.
fn input(cwd: &Path, name: &str, text: &str) -> String {
    let path = cwd.join("inputs").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    format!("inputs/{name}")
}

/// A claim directory `inputs/<name>` holding the repository's C1.toml and C2.toml, the one named
/// `claim` changed by `edit`.
fn experiments(cwd: &Path, name: &str, claim: &str, edit: impl Fn(&str) -> String) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    for id in ["C1", "C2"] {
        let text = std::fs::read_to_string(repo.join(format!("{id}.toml"))).unwrap();
        input(cwd, &format!("{name}/{id}.toml"), &if id == claim { edit(&text) } else { text });
    }
    format!("inputs/{name}")
}

#[test]
fn every_bad_input_exits_2_with_one_line_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let empty = input(cwd, "empty.txt", "");
    let ragged = input(cwd, "ragged.csv", "1,2\n3,4,5\n");
    let negative = input(cwd, "negative.json", "[1, -2]");
    let infinite = input(cwd, "infinite.txt", "1\ninf\n");
    let zero_row = input(cwd, "zero.csv", "1,2\n0,0\n3,1\n");
    let nan_system = input(cwd, "nan.csv", "1,2\nnan,3\n");
    let asymmetric = input(cwd, "asym.csv", "2,1\n0,2\n");
    let indefinite = input(cwd, "indef.csv", "1,2\n2,1\n");
    let regular_file = input(cwd, "a-file", "not a directory");
    let truncated = input(cwd, "truncated.json", "{\"task\": \"teacher_student\"}");
    let other_task = input(cwd, "other.json", "{\"task\": \"diabetes\", \"task_config\": {}, \"params\": [1.0]}");
    input(cwd, "broken/manifest.json", "{\"command\": 3}"); // merged below as inputs/broken
    let unknown_key = experiments(cwd, "unknown-key", "C2", |t| format!("colour = \"red\"\n{t}"));
    let wrong_type = experiments(cwd, "wrong-type", "C2", |t| t.replace("slope = [0.8, 1.2]", "slope = \"steep\""));
    let nan_tolerance =
        experiments(cwd, "nan-tolerance", "C2", |t| t.replace("slope = [0.8, 1.2]", "slope = [nan, 1.2]"));
    let typo = experiments(cwd, "typo", "C2", |t| t.replace("interval = [", "intervall = ["));
    let missing = experiments(cwd, "missing", "C2", |t| t.replace("interval = [0.7, 1.3]\n", ""));
    let no_kind = experiments(cwd, "no-kind", "C2", |t| t.replace("kind = \"sgd_critical_batch\"", "kind = \"guess\""));
    let inf_protocol = experiments(cwd, "inf-protocol", "C2", |t| format!("{t}\n[protocol]\nseed = inf\n"));
    let bad_spectrum = experiments(cwd, "bad-spectrum", "C2", |t| t.replace("power:d=50,a=1", "power:d=-50,a=1"));
    let no_smoke = experiments(cwd, "no-smoke", "C2", |t| t.replace("smoke = [", "smoke = [] #"));
    let syntax = experiments(cwd, "syntax", "C2", |t| t.replace("id = \"C2\"", "id = "));
    let renamed = experiments(cwd, "renamed", "C2", |t| t.replace("id = \"C2\"", "id = \"C3\""));
    let empty_claim = experiments(cwd, "empty-claim", "C2", |_| String::new());
    let fractional =
        experiments(cwd, "fractional", "C1", |t| t.replace("smoke = { runs = 2000", "smoke = { runs = 0.5"));

    // Sweep directories prepared by real runs: one shard of three (incomplete), and a finished
    // phase sweep of another configuration.
    let phase = |spec: &str, extra: &str| {
        words(&format!("phase --spectrum {spec} --methods sgd,hb,nag --batches 1,2,4 {extra}"))
    };
    let prepared = |args: Vec<String>| assert!(momlab_in(cwd, &args).status.success(), "{args:?}");
    prepared(phase("power:d=20,a=1", "--out sweeps/incomplete --shard 1/3 --quiet"));
    prepared(phase("power:d=20,a=1", "--out sweeps/finished --quiet"));
    prepared(phase("power:d=20,a=1", "--out sweeps/rebuilt --quiet"));
    let rebuilt = cwd.join("sweeps/rebuilt/manifest.json");
    let text = std::fs::read_to_string(&rebuilt).unwrap();
    let build = serde_json::from_str::<serde_json::Value>(&text).unwrap()["build"].as_str().unwrap().to_string();
    std::fs::write(&rebuilt, text.replace(&build, &"0".repeat(64))).unwrap();

    let hb = |extra: &str| words(&format!("predict --spectrum power:d=5,a=1 --method hb --batch 4 {extra}"));
    let simulate =
        |extra: &str| words(&format!("simulate --spectrum power:d=5,a=1 --method sgd --lr 0.1 --steps 10 {extra}"));
    let kaczmarz = |system: &str| simulate(&format!("--batch 2 --problem kaczmarz --system {system}"));
    let cd = |system: &str| simulate(&format!("--batch 2 --problem cd --system {system}"));
    let spectrum = |spec: &str| words(&format!("spectrum --spectrum {spec}"));
    let verify = |extra: &str| words(&format!("verify --profile smoke {extra}"));
    let train = |extra: &str| words(&format!("train --task matrix_sensing --steps 10 {extra}"));
    let curvature = |extra: &str| words(&format!("curvature --task teacher_student {extra}"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        // The command line itself.
        (words("frobnicate"), "unrecognized subcommand"),
        (words("--threads 0 spectrum --spectrum power:d=4,a=1"), "0 is not in 1..="),
        (words("--quiet --verbose spectrum --spectrum power:d=4,a=1"), "cannot be used with"),
        // Spectra: grammar, ranges, NaN/inf, empty and malformed files.
        (spectrum("gauss:d=3"), "unknown spectrum family"),
        (spectrum("power:d=0,a=1"), "d must be >= 1"),
        (spectrum("power:d=5,a=nan"), "not a finite number"),
        (spectrum(&format!("file:{empty}")), "no eigenvalues"),
        (spectrum(&format!("file:{negative}")), "must be finite and >= 0"),
        (spectrum(&format!("file:{infinite}")), "not a finite number"),
        (spectrum("file:inputs/missing"), "cannot read"),
        (spectrum(&format!("data:{ragged}")), "row 2 has 3 columns"),
        // Methods and their hyperparameters.
        (hb("--lr 0 --momentum 0.5"), "lr must be a finite number > 0"),
        (hb("--lr -0.1 --momentum 0.5"), "lr must be a finite number > 0"),
        (hb("--lr inf --momentum 0.5"), "not a finite number"),
        (hb("--lr 0.1 --momentum 1"), "momentum must be in [0, 1)"),
        (hb("--lr 0.1 --momentum -0.2"), "momentum must be in [0, 1)"),
        (hb("--lr 0.1"), "needs --momentum"),
        (hb("--lr 0.1 --momentum 0.5 --xi 2"), "--xi does not apply to hb"),
        (hb("--tune --lr 0.1"), "--tune chooses"),
        (hb("--lr 0.1 --momentum 0.5 --target 2"), "--target must be in (0, 1)"),
        (words("predict --spectrum power:d=5,a=1 --method hb --batch 0"), "batch size must be an integer >= 1"),
        (words("predict --spectrum power:d=5,a=1 --method adam --batch 1"), "unknown method 'adam'"),
        // Phase diagrams and their sweeps.
        (phase("power:d=5,a=1", "").into_iter().map(|a| a.replace("1,2,4", "4,2")).collect(), "strictly increasing"),
        (words("phase --spectrum power:d=5,a=1 --methods sgd,sp"), "tuning is available"),
        (phase("power:d=5,a=1", "--csv no/such/dir.csv"), "cannot write"),
        (phase("power:d=5,a=1", "--shard 1/2"), "add --out DIR"),
        (phase("power:d=5,a=1", &format!("--out {regular_file}/sweep")), "cannot create"),
        (phase("power:d=5,a=1", "--out sweeps/finished"), "holds a different phase sweep"),
        (phase("power:d=20,a=1", "--out sweeps/rebuilt"), "computed by another build of momlab (binary 000000000000"),
        (phase("power:d=20,a=1", "--out sweeps/x --csv x.csv"), "cannot be used with"),
        // Simulation on Gaussian regression and finite systems.
        (simulate("--batch inf"), "finite --batch"),
        (simulate("--batch 2 --runs 1"), "--runs >= 2"),
        (simulate("--batch 2 --sampler exact"), "unknown sampler 'exact'"),
        (simulate("--batch 2 --system gen"), "apply to --problem kaczmarz|cd"),
        (simulate("--batch 2 --problem kaczmarz"), "needs --system"),
        (simulate("--batch 2 --problem kaczmarz --system gen --sampler chi2"), "--sampler applies"),
        (simulate("--batch 9 --problem cd --system gen --sampling without"), "larger than the 5 atoms"),
        (cd("gen:n=9"), "n= does not apply"),
        (kaczmarz("gen:n=3"), "needs n >= d rows"),
        (kaczmarz("gen:m=3"), "unknown key 'm'"),
        (kaczmarz(&empty), "no numeric rows"),
        (kaczmarz(&ragged), "row 2 has 3 columns"),
        (kaczmarz(&nan_system), "is NaN, not a finite number"),
        (kaczmarz(&zero_row), "row 2 of the system is zero"),
        (cd(&asymmetric), "symmetric"),
        (cd(&indefinite), "positive semi-definite"),
        (cd("inputs/nope.csv"), "cannot read"),
        (hb("--rule nope"), "unknown rule 'nope' (known: A, B, sp, harmonic, adaptive)"),
        (hb("--rule adaptive"), "a closed-form rule is needed: A, B, sp, harmonic"),
        (hb("--rule sp"), "rule sp picks sp parameters: pass --method sp"),
        (hb("--rule harmonic --lr 0.1"), "--rule chooses the hyperparameters"),
        (hb("--rule harmonic --tune"), "cannot be used with"),
        // verify: profiles, claims, experiment files, output directories, shards.
        (words("verify --profile huge"), "unknown profile 'huge'"),
        (verify("--only C42"), "unknown claim 'C42'"),
        (verify("--experiments inputs/none"), "cannot read"),
        (verify(&format!("--experiments {unknown_key}")), "unknown field `colour`"),
        (verify(&format!("--experiments {wrong_type}")), "invalid type: string \"steep\""),
        (verify(&format!("--experiments {nan_tolerance}")), "[tolerance] slope must be a finite number, got NaN"),
        (verify(&format!("--experiments {typo}")), "unknown field `intervall`"),
        (verify(&format!("--experiments {missing}")), "missing field `interval`"),
        (verify(&format!("--experiments {no_kind}")), "unknown variant `guess`"),
        (verify(&format!("--experiments {inf_protocol}")), "[protocol] seed must be a finite number, got inf"),
        (verify(&format!("--experiments {bad_spectrum}")), "d must be a non-negative integer, got '-50'"),
        (verify(&format!("--experiments {no_smoke}")), "must not be empty"),
        (verify(&format!("--experiments {syntax}")), "C2.toml"),
        (verify(&format!("--experiments {renamed}")), "file name must be C3.toml"),
        (verify(&format!("--experiments {empty_claim}")), "missing field `id`"),
        (
            verify(&format!("--experiments {fractional}")),
            "[protocol] smoke.runs: invalid type: floating point `0.5`, expected usize",
        ),
        (verify("--backend cuda"), "unknown backend 'cuda'"),
        (verify("--shard 3/2"), "shard must be i/n with 1 <= i <= n, got '3/2'"),
        (verify("--shard 0/2"), "got '0/2'"),
        (verify("--shard a/b"), "got 'a/b'"),
        (verify(&format!("--only C2 --out {regular_file}")), "cannot create"),
        (verify("--only C2 --out sweeps/finished"), "holds a different phase sweep"),
        // merge.
        (words("merge sweeps/none"), "is not a sweep directory"),
        (words("merge inputs/broken"), "is not a momlab sweep manifest"),
        (words("merge sweeps/incomplete"), "2 of 3 cells are not finished"),
        // Networks: training and curvature.
        (train("--method hb --lr 0.1"), "needs --momentum B or --scaling C,g"),
        (train("--method hb --lr 0.1 --momentum 0.9 --scaling 1,0.6"), "not both"),
        (train("--method sgd --lr 0.1 --scaling 1,0.6"), "applies to hb and nag"),
        (train("--method hb --lr 0.1 --scaling 1"), "expected C,g"),
        (train("--method hb --lr 0.1 --momentum 1.5"), "momentum must be in [0, 1)"),
        (train("--method sgd --lr 0.1 --schedule cosine:5"), "--schedule must be"),
        (train("--method sgd --lr 0.1 --backend tpu"), "unknown backend 'tpu'"),
        (train("--method sgd --lr 0.1 --eps -1"), "label-noise level"),
        (train("--method sp"), "not for networks"),
        (train("--method sgd"), "sgd needs --lr"),
        (train("--method sgd --lr 0.1,"), "'' is not a number"),
        (train("--method sgd --lr 0.1,inf"), "not a finite number"),
        (train("--method hb --lr 0.1 --momentum 0.9,1.2"), "momentum must be in [0, 1)"),
        (train("--method sgd --lr 0.1 --seeds 5..2"), "seed range '5..2' is empty"),
        (train("--method sgd --lr 0.1 --seeds 0..x"), "'x' is not a seed"),
        (train("--method sgd --lr 0.1 --seeds 1,,2"), "'' is not a seed"),
        (train("--method sgd --lr 0.1,0.2 --save-params w.json"), "--save-params saves one run"),
        (train("--method sgd --lr 0.1 --replicas-per-batch 0"), "--replicas-per-batch must be >= 1"),
        (curvature(""), "--at-init"),
        (curvature("--at-init --target-fraction 2"), "--target-fraction must be in (0, 1)"),
        (curvature("--at-init --probes 1"), ">= 2 probes"),
        (curvature("--at-init --backend wgpu"), "use --backend flex or ndarray"),
        (curvature("--checkpoint inputs/none.json"), "cannot read checkpoint"),
        (curvature(&format!("--checkpoint {truncated}")), "is not a saved parameter file"),
        (curvature(&format!("--checkpoint {other_task}")), "the checkpoint is for task diabetes"),
    ];
    assert!(cases.len() >= 80, "{} cases", cases.len());
    common::assert_refused(cwd, &cases, None, snapshot);
}
