//! Closed forms of docs/theory.md §5 (predict.rs) against the Gaussian fourth moment they come from,
//! and the accelerated rule against the exact rate where its gap is exact (B = infinity).

use nalgebra::DMatrix;
use theory::{Predictions, Spectrum, rate};

/// E[H_B P H_B] = H P H + (H P H + tr(H P) H) / B for diagonal H (the identity that the Monte
/// Carlo test in tests/dynamics.rs checks).
fn fourth_moment(h: &[f64], p: &DMatrix<f64>, b: f64) -> DMatrix<f64> {
    let hm = DMatrix::from_diagonal(&nalgebra::DVector::from_row_slice(h));
    let hph = &hm * p * &hm;
    &hph + (&hph + &hm * (&hm * p).trace()) / b
}

#[test]
fn effective_smoothness_and_nu_come_from_the_fourth_moment() {
    let s: Spectrum = "power:d=12,a=1.2".parse().unwrap();
    let h = s.eigenvalues();
    let d = h.len();
    for b in [1.0, 3.0, 32.0] {
        let p = Predictions::new(&s, b);
        // L_B = ||E[H_B^2]|| / L: E[H_B^2] is diagonal, its largest entry L^2 (1 + 1/B) + L tr / B.
        let second = fourth_moment(h, &DMatrix::identity(d, d), b);
        let top = (0..d).map(|i| second[(i, i)]).fold(0.0, f64::max);
        assert!((p.l_b - top / s.lambda_max()).abs() < 1e-12 * p.l_b);
        assert!((p.eta_b * p.l_b - 1.0).abs() < 1e-15);
        // nu_B: E[H_B H^-1 H_B] = nu_B H.
        let hinv = DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(d, h.iter().map(|x| 1.0 / x)));
        let m = fourth_moment(h, &hinv, b);
        for i in 0..d {
            assert!((m[(i, i)] / h[i] - p.nu_b).abs() < 1e-12 * p.nu_b);
        }
        assert!((p.mu_b - p.eta_b * s.lambda_min()).abs() < 1e-18);
        assert!((p.accelerated_gap - (p.mu_b / p.nu_b).sqrt()).abs() < 1e-15);
        assert!((p.sp_beta - (1.0 - p.accelerated_gap)).abs() < 1e-15);
        assert!((p.sp_alpha * (1.0 + p.sp_gamma * p.nu_b) - 1.0).abs() < 1e-14);
        assert!((p.sp_gamma * p.sp_gamma * p.mu_b * p.nu_b - 1.0).abs() < 1e-12);
    }
    let inf = Predictions::new(&s, f64::INFINITY);
    assert_eq!((inf.l_b, inf.nu_b), (s.lambda_max(), 1.0));
    let sum = s.summary();
    assert_eq!((inf.b_sgd, inf.b_hb), (sum.b_sgd, sum.b_hb));
    assert_eq!(inf.t_hb_shape, sum.kappa.sqrt());
    assert_eq!(inf.t_sgd_shape, sum.kappa);
    // Rule (B) equals rule (A) when nu_B = 1.
    assert_eq!(inf.hb_rule_a, inf.hb_rule_b);
}

#[test]
fn accelerated_rule_attains_its_gap_without_noise() {
    // At B = infinity the sketch-and-project rule is Nesterov-type acceleration with step 1/L:
    // the error contracts like (1 - sqrt(mu/L)), so E[loss] like (1 - gap)^2 exactly.
    for spec in ["power:d=40,a=1", "uniform:d=20,lo=0.001,hi=1"] {
        let s: Spectrum = spec.parse().unwrap();
        let p = Predictions::new(&s, f64::INFINITY);
        let r = rate(&s, &p.sketch_project(), f64::INFINITY).rho;
        let predicted = (1.0 - p.accelerated_gap).powi(2);
        // The mu-coordinate is critically damped (a Jordan block), where a double root is only
        // determined to about sqrt(machine epsilon): hence 1e-7, not 1e-15.
        assert!((r / predicted - 1.0).abs() < 1e-7, "{spec}: exact {r} predicted {predicted}");
    }
}

/// The closed forms are defined once (`theory::predict`): `Predictions` and `SpectrumSummary`
/// read the same functions, the HB speed-up is the ratio of the two lower-bound shapes, and the
/// finite-sum L_B and step come from E[H_B^T H_B].
#[test]
fn every_closed_form_has_one_definition() {
    use theory::predict::{
        critical_batch_hb, critical_batch_hb_from_kappa, critical_batch_sgd, hb_speedup, smoothness,
    };
    let s: Spectrum = "power:d=40,a=1".parse().unwrap();
    let (l, mu, tr) = (s.lambda_max(), s.lambda_min(), s.trace());
    let sum = s.summary();
    assert_eq!(sum.b_sgd, critical_batch_sgd(tr, l));
    assert_eq!(sum.b_hb, critical_batch_hb(tr, l, mu));
    assert!((critical_batch_hb_from_kappa(sum.b_sgd, sum.kappa) / sum.b_hb - 1.0).abs() < 1e-14);
    for b in [1.0, 2.0, 7.0, 64.0, 4096.0, f64::INFINITY] {
        let p = Predictions::new(&s, b);
        assert_eq!(p, Predictions::from_constants(l, mu, tr, s.d(), b));
        assert_eq!(p.l_b, smoothness(l, tr, b));
        let ratio = p.t_sgd_shape / p.t_hb_shape;
        assert!((hb_speedup(b, p.b_sgd, sum.kappa) / ratio - 1.0).abs() < 1e-12, "B = {b}");
    }
    assert_eq!(smoothness(l, tr, f64::INFINITY), l);

    let system = theory::finite_sum::FiniteSum::random_system(60, &s, 3).unwrap();
    let kaczmarz = theory::finite_sum::FiniteSum::kaczmarz(&system).unwrap();
    let with = theory::finite_sum::Sampling::WithReplacement;
    let h = kaczmarz.spectrum().unwrap().lambda_max();
    for batch in [1, 8, 60] {
        let gram = Spectrum::from_symmetric_psd(kaczmarz.gram(batch, with)).unwrap().lambda_max();
        assert_eq!(kaczmarz.step(batch, with).unwrap(), h / gram);
        assert_eq!(kaczmarz.smoothness(batch, with).unwrap(), gram / h);
    }
    assert!(kaczmarz.step(0, with).is_err());
}
