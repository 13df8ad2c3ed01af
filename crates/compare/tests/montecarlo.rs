//! Simulated T(B): a point that cannot be simulated is an error, not a panic; a valid one gives a
//! Monte-Carlo T next to the exact one.

use compare::montecarlo::simulated_t;
use theory::{Family, GaussianDynamics, Method, Moments, Spectrum};

#[test]
fn a_batch_of_zero_is_an_error_and_a_valid_point_is_simulated() {
    let s: Spectrum = "power:d=8,a=1".parse().unwrap();
    let method = Method::Sgd { lr: 0.2 };
    let err = simulated_t(&s, Family::Sgd, &method, 0, 50.0, 16, 1).unwrap_err();
    assert!(err.to_string().contains("batch"), "{err}");

    let exact = GaussianDynamics::new(&s, &method, 4.0)
        .iterations_to_target(Moments::isotropic(8), 1e-4, 100_000)
        .reached()
        .unwrap() as f64;
    let t = simulated_t(&s, Family::Sgd, &method, 4, exact, 400, 2).unwrap();
    assert_eq!(t.diverged_runs, 0);
    let simulated = t.iterations.unwrap();
    assert!((simulated / exact - 1.0).abs() < 0.2, "{simulated} vs {exact}");
}
