//! A full tuned phase diagram: 4 methods x 32 batch sizes (B = 2^0 .. 2^31) at d = 1000;
//! goal <= 5 s on 2 cores. Timed with and without the exact curve at each tuned point.

use criterion::{Criterion, criterion_group, criterion_main};
use theory::{Family, PhaseOptions, Spectrum, phase};

fn bench(c: &mut Criterion) {
    let s: Spectrum = "power:d=1000,a=1".parse().unwrap();
    let batches: Vec<f64> = (0..32).map(|k| 2f64.powi(k)).collect();
    let families = [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd];
    let mut group = c.benchmark_group("phase_4x32_d1000");
    group.sample_size(10);
    for (name, exact) in [("rate_only", false), ("with_exact_curves", true)] {
        let options = PhaseOptions { exact, ..PhaseOptions::default() };
        group.bench_function(name, |b| b.iter(|| phase(&s, &families, &batches, options).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
