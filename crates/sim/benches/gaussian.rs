//! Gaussian heavy ball at d = 1000 (the simulation benchmark): steps per second of one run for
//! B = 32 and 1024 with each sampler, and the raw N(0, 1) throughput of the engine's RNG, which
//! bounds the explicit sampler at (normals per second) / (B d) steps per second. The ensemble
//! group runs many runs on all cores, the setting the NumPy/JAX peers (benches/peers) measure.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use sim::{EnsembleConfig, GaussianRegression, Problem, Rng, Sampler, ensemble, run::run};
use std::hint::black_box;
use theory::{Method, Spectrum};

const D: usize = 1000;
const HB: Method = Method::Hb { lr: 0.05, momentum: 0.9 };

fn steps(c: &mut Criterion) {
    let s: Spectrum = format!("power:d={D},a=1").parse().unwrap();
    let mut group = c.benchmark_group("gaussian_hb_d1000");
    for batch in [32, 1024] {
        for sampler in [Sampler::Explicit, Sampler::ChiSquare] {
            let problem = GaussianRegression::new(&s, batch, sampler).unwrap();
            // Enough steps per iteration that setup is negligible.
            let n = match (sampler, batch) {
                (Sampler::Explicit, 1024) => 5,
                (Sampler::Explicit, _) => 100,
                _ => 2000,
            };
            group.throughput(Throughput::Elements(n as u64));
            let mut rng = Rng::seed_from_u64(1);
            let e0 = problem.initial_error(&mut rng);
            group.bench_function(format!("{sampler:?}/B={batch}"), |b| {
                b.iter(|| run(&problem, &HB, black_box(e0.clone()), n, &[n], 0.0, &mut rng))
            });
        }
    }
    group.finish();
}

fn rng_bound(c: &mut Criterion) {
    let mut group = c.benchmark_group("rng");
    let mut buffer = vec![0.0f64; 32 * D];
    group.throughput(Throughput::Elements(buffer.len() as u64));
    let mut rng = Rng::seed_from_u64(2);
    group.bench_function("standard_normal", |b| {
        b.iter(|| {
            rng.fill_standard_normal(&mut buffer);
            black_box(&buffer);
        })
    });
    // The generator the engine used before (PCG-64 MCG and rand_distr's scalar ziggurat).
    let mut pcg = rand_pcg::Pcg64Mcg::seed_from_u64(2);
    group.bench_function("standard_normal_pcg_rand_distr", |b| {
        b.iter(|| {
            for x in buffer.iter_mut() {
                *x = pcg.sample(StandardNormal);
            }
            black_box(&buffer);
        })
    });
    group.finish();
}

fn ensembles(c: &mut Criterion) {
    let s: Spectrum = format!("power:d={D},a=1").parse().unwrap();
    let mut group = c.benchmark_group("ensemble_b32");
    group.sample_size(10);
    for (sampler, runs, steps) in [(Sampler::Explicit, 16, 200), (Sampler::ChiSquare, 64, 5000)] {
        let problem = GaussianRegression::new(&s, 32, sampler).unwrap();
        let config = EnsembleConfig { runs, steps, checkpoints: vec![steps], seed: 3, eps: 0.0 };
        group.throughput(Throughput::Elements((runs * steps) as u64));
        group.bench_function(format!("{sampler:?}"), |b| b.iter(|| ensemble(&problem, &HB, &config)));
    }
    group.finish();
}

criterion_group!(benches, steps, rng_bound, ensembles);
criterion_main!(benches);
