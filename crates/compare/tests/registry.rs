//! The claim registry: every experiments/*.toml parses, names its own file and its kind, and
//! malformed files (unknown fields, missing typed tolerances, wrong kinds) are refused with a
//! message naming the problem.

use compare::registry::{ClaimSpec, Kind, load};
use compare::{Profile, select};
use std::path::Path;

fn experiments() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
}

#[test]
fn every_experiment_file_parses_with_its_kind() {
    let claims = load(&experiments()).unwrap();
    let ids: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]);
    let kinds: Vec<Kind> = claims.iter().map(|c| c.kind).collect();
    use Kind::*;
    assert_eq!(
        kinds,
        [
            Exactness,
            SgdCriticalBatch,
            PerfectParallelization,
            HbWindow,
            EfficiencyFrontier,
            AsgdAcceleration,
            MomentumRule,
            KaczmarzBatchLaws,
            MomentumScaling,
            BatchTransfer
        ]
    );
    for c in &claims {
        assert!(!c.tolerance.is_empty() && !c.statement.is_empty() && !c.source.is_empty(), "{c:?}");
    }
    let summary = |spec: &String| spec.parse::<theory::Spectrum>().unwrap().summary();
    // C2's family: at least six spectra whose tr/L spans at least 1.5 decades.
    let c2 = claims.iter().find(|c| c.id == "C2").unwrap();
    let ratios: Vec<f64> = Profile::Full.spectra(c2).iter().map(|s| summary(s).b_sgd).collect();
    let span = ratios.iter().cloned().fold(0.0, f64::max) / ratios.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(ratios.len() >= 6 && span.log10() >= 1.5, "{ratios:?}");
    // C4's family: at least five kappas over at least two decades.
    let c4 = claims.iter().find(|c| c.id == "C4").unwrap();
    let kappas: Vec<f64> = Profile::Full.spectra(c4).iter().map(|s| summary(s).kappa).collect();
    let span = kappas.iter().cloned().fold(0.0, f64::max) / kappas.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(kappas.len() >= 5 && span.log10() >= 1.99, "{kappas:?}");
    // Quick and full judge the same spectra (profiles differ in the grid, not the claim).
    for c in &claims {
        assert_eq!(Profile::Quick.spectra(c), Profile::Full.spectra(c), "{}", c.id);
    }
}

#[test]
fn malformed_claims_are_refused() {
    let good = "id = \"C2\"\nkind = \"sgd_critical_batch\"\nsource = \"s\"\nstatement = \"t\"\n[spectra]\nsmoke = [\"power:d=5,a=1\"]\nfull = [\"power:d=5,a=1\"]\n[tolerance]\nslope = [0.8, 1.2]\ninterval = [0.7, 1.3]\nreported_window = [0.5, 2.0]\n";
    let spec = ClaimSpec::parse(good, "ok.toml").unwrap();
    let typed: compare::claims::c2_critical_batch::Tolerance = spec.typed().unwrap();
    assert_eq!(typed.slope, [0.8, 1.2]);
    let cases = [
        (good.replace("slope = [0.8, 1.2]", "slope = \"steep\""), "[tolerance] slope: invalid type"),
        (good.replace("slope = [0.8, 1.2]", "slope = [0.8, inf]"), "slope must be a finite number"),
        (good.replace("interval", "intervall"), "unknown field `intervall`"),
        (good.replace("reported_window = [0.5, 2.0]\n", ""), "missing field `reported_window`"),
        (good.replace("sgd_critical_batch", "hb_window"), "unknown field `interval`"),
        (good.replace("kind = \"sgd_critical_batch\"\n", ""), "missing field `kind`"),
        (good.replace("sgd_critical_batch", "magic"), "unknown variant `magic`"),
        (good.replace("source = \"s\"\n", ""), "missing field `source`"),
        (format!("extra = 1\n{good}"), "unknown field `extra`"),
        (good.replace("full = [\"power:d=5", "fulll = [\"power:d=5"), "unknown field `fulll`"),
        (good.replace("smoke = [\"power:d=5,a=1\"]", "smoke = [\"power:d=0,a=1\"]"), "d must be >= 1"),
        (good.replace("smoke = [\"power:d=5,a=1\"]", "smoke = []"), "must not be empty"),
        (
            good.replace("[spectra]\nsmoke = [\"power:d=5,a=1\"]\nfull = [\"power:d=5,a=1\"]\n", ""),
            "needs [spectra] or a task",
        ),
        (format!("task = \"matrix_sensing\"\n{good}"), "takes no spectra"),
    ];
    for (text, expected) in cases {
        let err = ClaimSpec::parse(&text, "bad.toml").unwrap_err().to_string();
        assert!(err.contains(expected) && err.starts_with("bad.toml"), "{expected}: {err}");
    }
    // The self-measuring claims' typed protocols (C1, C9, C10): every table and per-profile grid
    // refuses unknown fields, and every network task is built at load.
    let file = |id: &str| std::fs::read_to_string(experiments().join(format!("{id}.toml"))).unwrap();
    let (c1, c9, c10) = (file("C1"), file("C9"), file("C10"));
    let cases = [
        (c1.replace("seed = 2024", "seed = 2024\nsmoke_runs = 10"), "unknown field `smoke_runs`"),
        // A value of the wrong type is named by its path in the table.
        (
            c1.replace("quick = { runs = 20000", "quick = { runs = 0.5"),
            "[protocol] quick.runs: invalid type: floating point `0.5`, expected usize",
        ),
        (c1.replace("[tolerance]\nmax_z = 4.0", "[tolerance]\nmaxz = 4.0"), "unknown field `maxz`"),
        (c10.replace("target = 0.5", ""), "missing field `target`"),
        (c10.replace("slq_steps = 40", "slq_steps = 40, slq = 1"), "unknown field `slq`"),
        (c10.replace("max_batch = 1024 }", "max_batch = 1024, rows = 5 }"), "unknown field `rows`"),
        (c10.replace("probes = 64", "probes = 1"), ">= 2 probes"),
        (c9.replace("seeds = 16 }", "seeds = 16, seed = 1 }"), "unknown field `seed`"),
        (c9.replace("student_hidden = 12", "student_width = 12"), "unknown field `student_width`"),
        (c9.replace("[protocol.diabetes]", "[protocol.diabetis]"), "unknown field `diabetis`"),
        (c9.replace("threshold = 7.0\n", ""), "missing field `threshold`"),
        (c9.replace("hidden = 32,", "hidden = 0,"), "hidden width"),
    ];
    for (text, expected) in cases {
        let err = ClaimSpec::parse(&text, "C.toml").unwrap_err().to_string();
        assert!(err.contains(expected) && err.starts_with("C.toml"), "{expected}: {err}");
    }
    assert_eq!(ClaimSpec::parse(&c10, "C10.toml").unwrap().task.as_deref(), Some("teacher_student,diabetes"));
    assert!(ClaimSpec::parse(&c9, "C9.toml").is_ok() && ClaimSpec::parse(&c1, "C1.toml").is_ok());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("C1.toml"), good).unwrap();
    assert!(load(dir.path()).unwrap_err().to_string().contains("file name must be C2.toml"));
    assert!(
        select(load(&experiments()).unwrap(), &["C42".into()]).unwrap_err().to_string().contains("unknown claim 'C42'")
    );
}

#[test]
fn only_the_network_claims_train() {
    // verify runs the units that train on a thread of their own (src/verify.rs).
    let claims = load(&experiments()).unwrap();
    let units = compare::plan(&claims, Profile::Smoke).unwrap();
    let training: Vec<String> = units.iter().filter(|u| u.trains(&claims)).map(|u| u.label()).collect();
    assert_eq!(training.len(), 2, "{training:?}");
    assert!(training.iter().all(|l| l.contains("C9") || l.contains("C10")), "{training:?}");
    assert!(units.iter().any(|u| !u.trains(&claims) && u.label().contains("C1")));
}
