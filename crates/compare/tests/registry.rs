//! The claim registry: every experiments/*.toml parses, names its own file, and malformed files
//! are refused with a message naming the problem.

use compare::registry::{ClaimSpec, load};
use std::path::Path;

fn experiments() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments")
}

#[test]
fn every_experiment_file_parses() {
    let claims = load(&experiments()).unwrap();
    let ids: Vec<&str> = claims.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]);
    for c in &claims {
        assert!(!c.tolerance.is_empty() && !c.statement.is_empty() && !c.source.is_empty(), "{c:?}");
    }
    // C4's spectra are the three kappas of the claim.
    let c4 = claims.iter().find(|c| c.id == "C4").unwrap();
    let kappas: Vec<f64> = c4.spectra.iter().map(|s| s.parse::<theory::Spectrum>().unwrap().kappa().round()).collect();
    assert_eq!(kappas, [1e2, 1e3, 1e4]);
}

#[test]
fn malformed_claims_are_refused() {
    let good = "id = \"C9\"\nsource = \"s\"\nstatement = \"t\"\nspectra = [\"power:d=5,a=1\"]\nsmoke_spectra = [\"power:d=5,a=1\"]\n[tolerance]\nlo = 0.5\n";
    let spec = ClaimSpec::parse(good, "ok.toml").unwrap();
    assert_eq!(spec.tolerance("lo").unwrap(), 0.5);
    assert!(spec.tolerance("hi").unwrap_err().to_string().contains("lacks 'hi'"));
    let cases = [
        (good.replace("lo = 0.5", "lo = \"half\""), "invalid type"),
        (good.replace("source = \"s\"\n", ""), "missing field `source`"),
        (format!("extra = 1\n{good}"), "unknown field"),
        (good.replace("power:d=5,a=1\"]\nsmoke", "power:d=0,a=1\"]\nsmoke"), "d must be >= 1"),
        (good.replace("spectra = [\"power:d=5,a=1\"]\nsmoke", "spectra = []\nsmoke"), "must not be empty"),
        (format!("task = \"matrix_sensing\"\n{good}"), "takes no spectra"),
    ];
    for (text, expected) in cases {
        let err = ClaimSpec::parse(&text, "bad.toml").unwrap_err().to_string();
        assert!(err.contains(expected) && err.starts_with("bad.toml"), "{err}");
    }
    let network = "id = \"C9\"\nsource = \"s\"\nstatement = \"t\"\ntask = \"matrix_sensing\"\n[tolerance]\ng = 0.5\n";
    assert_eq!(ClaimSpec::parse(network, "ok.toml").unwrap().task.as_deref(), Some("matrix_sensing"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("C1.toml"), good).unwrap();
    assert!(load(dir.path()).unwrap_err().to_string().contains("file name must be C9.toml"));
    assert!(
        compare::select(load(&experiments()).unwrap(), &["C42".into()])
            .unwrap_err()
            .to_string()
            .contains("unknown claim 'C42'")
    );
}
