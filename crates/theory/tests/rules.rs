//! The closed-form momentum rules (rules.rs) against values computed by hand (Python, from the
//! formulas of docs/theory.md §5) for L = 1, mu = 0.01, tr = 5, d = 10, B = 4, where
//! L_B = 2.5 and nu_B = 3.75.

use theory::rules::{self, HARMONIC_C1, HARMONIC_C2, RULES, harmonic, rule};
use theory::{Method, Predictions, Spectrum, rate};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn hb(m: Method) -> (f64, f64) {
    match m {
        Method::Hb { lr, momentum } => (lr, momentum),
        other => panic!("not heavy ball: {other:?}"),
    }
}

#[test]
fn every_rule_matches_its_formula_by_hand() {
    let p = Predictions::from_constants(1.0, 0.01, 5.0, 10, 4.0);
    assert!(close(p.l_b, 2.5) && close(p.nu_b, 3.75));
    let (lr, beta) = hb(rule("A").unwrap().method(&p));
    assert!(close(lr, 1.4153140975036929) && close(beta, 0.7762191923671348), "{lr} {beta}");
    let (lr, beta) = hb(rule("B").unwrap().method(&p));
    assert!(close(lr, 0.4001051301958032) && close(beta, 0.8774933234438066), "{lr} {beta}");
    match rule("sp").unwrap().method(&p) {
        Method::Sp { lr, alpha, beta, gamma } => {
            assert!(close(lr, 0.4) && close(alpha, 0.03162693196453788));
            assert!(close(beta, 0.967340136762891) && close(gamma, 8.16496580927726));
        }
        other => panic!("{other:?}"),
    }
    let (lr, beta) = hb(rule("harmonic").unwrap().method(&p));
    assert!(close(lr, 0.2404207362885048) && close(beta, 0.6694214876033059), "{lr} {beta}");
}

#[test]
fn the_registry_names_each_rule_once_and_refuses_others() {
    let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(names, ["A", "B", "sp", "harmonic", "adaptive"]);
    let err = rule("nope").unwrap_err().to_string();
    assert!(err.contains("unknown rule 'nope'") && err.contains("A, B, sp, harmonic, adaptive"), "{err}");
}

#[test]
fn harmonic_mixes_the_deterministic_step_and_the_noise_limit() {
    let (l, mu, tr) = (1.0, 1e-3, 12.0);
    let deterministic = |b: f64| hb(harmonic(&Predictions::from_constants(l, mu, tr, 50, b), 0.8, 1.0));
    // B -> infinity: deterministic heavy ball with 0.8 of the optimal step.
    let (lr, beta) = deterministic(f64::INFINITY);
    let r = (l / mu).sqrt();
    assert!(close(beta, ((r - 1.0) / (r + 1.0)).powi(2)));
    assert!(close(lr, 0.8 * 4.0 / (l.sqrt() + mu.sqrt()).powi(2)));
    // Effective step lr/(1 - beta) = 1/(1/x + 1/y), x the deterministic one, y = c2 B / tr.
    for b in [1.0, 7.0, 300.0] {
        let (lr_b, beta_b) = deterministic(b);
        let (x, y) = (lr / (1.0 - beta), b / tr);
        assert!(close(lr_b / (1.0 - beta_b), 1.0 / (1.0 / x + 1.0 / y)), "B = {b}");
    }
    assert_eq!((HARMONIC_C1, HARMONIC_C2), (0.8, 1.0));
}

#[test]
fn harmonic_never_diverges_on_its_training_spectra() {
    let training = [
        "power:d=100,a=1",
        "power:d=100,a=2",
        "power:d=200,a=0.5",
        "power:d=200,a=1.5",
        "cluster:d=200,lo=0.01,hi=1,frac=0.1",
    ];
    for spec in training {
        let s: Spectrum = spec.parse().unwrap();
        for k in 0..=12 {
            let b = 2f64.powi(k);
            let m = rule("harmonic").unwrap().method(&Predictions::new(&s, b));
            assert!(!rate(&s, &m, b).diverged(), "{spec} B = {b}");
        }
    }
}

/// The sketch-and-project parameters for a gap g, by hand: g = 0.2, nu_B = 3.75 gives
/// alpha = 1/6, beta_sp = 0.8, gamma = 4/3, and at g = sqrt(mu_B / nu_B) they are the closed-form
/// rule's.
#[test]
fn sketch_project_parameters_follow_the_gap() {
    let p = Predictions::from_constants(1.0, 0.01, 5.0, 10, 4.0);
    match p.sketch_project_with_gap(0.2) {
        Method::Sp { lr, alpha, beta, gamma } => {
            assert!(close(lr, 0.4) && close(alpha, 1.0 / 6.0) && close(beta, 0.8) && close(gamma, 4.0 / 3.0));
        }
        other => panic!("{other:?}"),
    }
    let (closed, adaptive) = (p.sketch_project(), p.sketch_project_with_gap(p.accelerated_gap));
    match (closed, adaptive) {
        (Method::Sp { alpha: a, beta: b, gamma: g, .. }, Method::Sp { alpha, beta, gamma, .. }) => {
            assert!(close(a, alpha) && close(b, beta) && (g / gamma - 1.0).abs() < 1e-12);
        }
        other => panic!("{other:?}"),
    }
}

/// The adaptive rule needs no mu and no tuning: on a two-cluster spectrum (true gap
/// sqrt(mu_B / nu_B) known) it reaches the target within 1.5x of sketch-and-project with the
/// true mu at every batch, and its T falls with B; it is refused by `fixed()` (no closed form).
#[test]
fn the_adaptive_rule_finds_the_gap_without_knowing_mu() {
    let s: Spectrum = "cluster:d=200,lo=0.01,hi=1,frac=0.1".parse().unwrap();
    let adaptive = rule("adaptive").unwrap();
    assert!(adaptive.fixed().is_none());
    let mut previous = f64::INFINITY;
    for b in [1.0, 16.0, 256.0, 4096.0] {
        let p = Predictions::from_constants(1.0, 0.01, s.trace(), s.d(), b);
        let t = adaptive.iterations_to_target(&s, &p, 1e-4, 1_000_000).reached().unwrap() as f64;
        let known = rule("sp").unwrap().iterations_to_target(&s, &p, 1e-4, 1_000_000).reached().unwrap() as f64;
        assert!(t <= 1.5 * known, "B = {b}: adaptive {t} vs sp {known}");
        assert!(t <= previous, "B = {b}: {t} after {previous}");
        previous = t;
    }
}

/// `closed_form` gives the four closed-form rules, refuses the adaptive one naming them, and
/// refuses an unknown name naming every rule.
#[test]
fn closed_form_lookup_refuses_the_adaptive_rule() {
    for name in ["A", "B", "sp", "harmonic"] {
        assert!(rules::closed_form(name).unwrap().fixed().is_some(), "{name}");
    }
    let adaptive = rules::closed_form("adaptive").unwrap_err().to_string();
    assert!(adaptive.contains("re-picks") && adaptive.contains("A, B, sp, harmonic"), "{adaptive}");
    let unknown = rules::closed_form("C").unwrap_err().to_string();
    assert!(unknown.contains("unknown rule 'C'") && unknown.contains("adaptive"), "{unknown}");
}
