//! One protocol at every profile: a fresh quick verify of the claims on quadratics gives the
//! same verdict as the committed full report (figures/report.json, `just figures`), and in that
//! report every method's tuned T(B) is non-increasing in B on every claim spectrum.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn committed() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("figures/report.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn verdicts(report: &Value) -> Vec<(String, String)> {
    let claims = report["claims"].as_array().unwrap();
    claims.iter().map(|c| (c["id"].as_str().unwrap().to_string(), c["verdict"].as_str().unwrap().to_string())).collect()
}

/// Every family's T(B) in every sweep of `report` is non-increasing (null: not reached, which
/// may only follow nulls).
fn assert_monotone(report: &Value) {
    for sweep in report["sweeps"].as_array().unwrap() {
        for family in sweep["points"].as_array().unwrap() {
            let t: Vec<f64> = family[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["iterations"].as_f64().unwrap_or(f64::INFINITY))
                .collect();
            assert!(t.windows(2).all(|w| w[1] <= w[0]), "{} {}: {t:?}", sweep["spec"], family[0]);
        }
    }
}

#[test]
fn the_committed_full_report_has_monotone_tuned_curves() {
    let report = committed();
    assert_eq!(report["profile"], "full");
    assert!(report["sweeps"].as_array().unwrap().len() >= 20);
    assert_monotone(&report);
}

#[test]
fn quick_gives_the_full_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let only = "C2,C3,C4,C5,C6,C7,C8";
    let out = dir.path().join("quick");
    let run = Command::new(env!("CARGO_BIN_EXE_momlab"))
        .args(["verify", "--profile", "quick", "--only", only, "--quiet", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let quick: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_monotone(&quick);
    let full: Vec<(String, String)> =
        verdicts(&committed()).into_iter().filter(|(id, _)| only.split(',').any(|o| o == id)).collect();
    assert_eq!(verdicts(&quick), full);
}
