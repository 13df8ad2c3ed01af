//! Tuned phase diagrams.
//!
//! - `phase_4x32_d1000`: 4 methods x 32 batch sizes (B = 2^0 .. 2^31) at d = 1000, tuned for the
//!   rate; goal <= 5 s on 2 cores. Timed with and without the exact curve at each tuned point.
//! - `target_4x15_d100`: the verify protocol (T(1e-4)-tuned, B = 2^0 .. 2^14) on power:d=100,a=2,
//!   warm-started along B (`tune_along`, what verify runs) against every batch tuned on its own
//!   (`tune` per cell, as before the warm starts), both parallel over what is independent.

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use theory::{Family, Objective, PhaseOptions, Spectrum, Target, phase, tune};

const FAMILIES: [Family; 4] = [Family::Sgd, Family::Hb, Family::Nag, Family::Asgd];

fn rate_tuned(c: &mut Criterion) {
    let s: Spectrum = "power:d=1000,a=1".parse().unwrap();
    let batches: Vec<f64> = (0..32).map(|k| 2f64.powi(k)).collect();
    let mut group = c.benchmark_group("phase_4x32_d1000");
    group.sample_size(10);
    for (name, exact) in [("rate_only", false), ("with_exact_curves", true)] {
        let options = PhaseOptions { exact, ..PhaseOptions::default() };
        group.bench_function(name, |b| b.iter(|| phase(&s, &FAMILIES, &batches, options).unwrap()));
    }
    group.finish();
}

fn target_tuned(c: &mut Criterion) {
    let s: Spectrum = "power:d=100,a=2".parse().unwrap();
    let batches: Vec<f64> = (0..15).map(|k| 2f64.powi(k)).collect();
    let options = PhaseOptions { objective: Objective::Target, ..PhaseOptions::default() };
    let mut group = c.benchmark_group("target_4x15_d100");
    group.sample_size(10);
    group.bench_function("warm_started_along_b", |b| b.iter(|| phase(&s, &FAMILIES, &batches, options).unwrap()));
    let cells: Vec<(Family, f64)> = FAMILIES.iter().flat_map(|&f| batches.iter().map(move |&b| (f, b))).collect();
    group.bench_function("each_batch_alone", |b| {
        b.iter(|| {
            let tuned: Vec<_> =
                cells.par_iter().map(|&(f, batch)| tune(&s, f, batch, Objective::Target, Target::default())).collect();
            tuned.into_iter().collect::<theory::Result<Vec<_>>>().unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, rate_tuned, target_tuned);
criterion_main!(benches);
